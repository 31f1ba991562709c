"""Synchronous client (CLI, SDK, flow-run engine): the typed methods of :class:`~flowyard.client.api.Api`."""

from __future__ import annotations

import random
import time

import httpx

from flowyard.client.api import Api
from flowyard.client.call import Call, T
from flowyard.client.defaults import default_api_key, default_api_url, tls_verify
from flowyard.client.endpoint import SyncTransport
from flowyard.client.errors import ApiError, ServerUnreachable


class FlowyardClient(SyncTransport, Api):
    """Blocking client. ``api_url`` defaults to ``FLOWYARD_API_URL``; errors are typed ``ApiError``s.

    ``retries`` (default 0: the CLI reports an unreachable server at once) retries connection
    errors, 5xx and 429 of calls that allow it, with jittered back-off; the flow-run engine uses
    it so a server replica dying behind a load balancer does not crash the runs talking to it.
    """

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        retries: int = 0,
    ) -> None:
        self.api_url = (api_url or default_api_url()).rstrip("/")
        self.api_key = api_key if api_key is not None else default_api_key()
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._http = httpx.Client(
            base_url=self.api_url,
            headers=headers,
            timeout=timeout,
            verify=tls_verify(self.api_url),
        )
        self.retries = retries

    def send(self, call: Call[T]) -> T:
        """Send one call, retrying transient failures ``retries`` times; raises its typed
        ``ApiError`` or ``ServerUnreachable``."""
        attempts = (self.retries if call.retry else 0) + 1
        for attempt in range(attempts):
            try:
                response = self._http.request(
                    call.method, call.path, json=call.json(), params=call.params
                )
                return call.result(response)
            except httpx.TransportError as exc:
                if attempt == attempts - 1:
                    raise ServerUnreachable(
                        f"Cannot reach the flowyard server at {self.api_url} ({exc}). Start one "
                        "with `flowyard server start` or set FLOWYARD_API_URL."
                    ) from exc
            except ApiError as exc:
                if not exc.transient or attempt == attempts - 1:
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
