"""Synchronous client (CLI, SDK)."""

from __future__ import annotations

from typing import Any

import httpx

from flowyard.client.defaults import default_api_key, default_api_url, tls_verify
from flowyard.client.errors import ServerUnreachable, raise_for


class FlowyardClient:
    """A thin typed-JSON client. ``api_url`` defaults to ``FLOWYARD_API_URL``."""

    def __init__(
        self, api_url: str | None = None, api_key: str | None = None, timeout: float = 30.0
    ) -> None:
        self.api_url = (api_url or default_api_url()).rstrip("/")
        key = api_key if api_key is not None else default_api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(
            base_url=self.api_url,
            headers=headers,
            timeout=timeout,
            verify=tls_verify(self.api_url),
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; returns decoded JSON (None for 204). Raises ApiError / ServerUnreachable."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"Cannot reach the flowyard server at {self.api_url} ({exc}). Start one with "
                "`flowyard server start` or set FLOWYARD_API_URL."
            ) from exc
        raise_for(response)
        return None if response.status_code == 204 or not response.content else response.json()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> FlowyardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
