"""Synchronous client (CLI, SDK)."""

from __future__ import annotations

import random
import time
from typing import Any

import httpx

from flowyard.client.errors import ApiError, ServerUnreachable, raise_for
from flowyard.settings import get_settings


class FlowyardClient:
    """A thin typed-JSON client. ``api_url`` defaults to ``FLOWYARD_API_URL``.

    ``retries`` (default 0: the CLI reports an unreachable server at once) retries connection
    errors, 5xx and 429 with jittered back-off; the flow-run engine uses it so a server replica
    dying behind a load balancer does not crash the runs that were talking to it.
    """

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 0,
    ) -> None:
        settings = get_settings()
        self.api_url = (api_url or settings.api_url).rstrip("/")
        key = api_key if api_key is not None else settings.api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=self.api_url, headers=headers, timeout=timeout)
        self.retries = retries

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; returns decoded JSON (None for 204). Raises ApiError / ServerUnreachable."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._http.request(method, path, **kwargs)
                raise_for(response)
                return (
                    None if response.status_code == 204 or not response.content else response.json()
                )
            except httpx.TransportError as exc:
                if last:
                    raise ServerUnreachable(
                        f"Cannot reach the flowyard server at {self.api_url} ({exc}). Start one "
                        "with `flowyard server start` or set FLOWYARD_API_URL."
                    ) from exc
            except ApiError as exc:
                if not exc.transient or last:
                    raise
            time.sleep(min(2**attempt, 10) * (0.8 + 0.4 * random.random()) * 0.5)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> FlowyardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
