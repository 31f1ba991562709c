"""Synchronous client (CLI, SDK, flow-run engine): the typed methods of :class:`~flowyard.client.api.Api`."""

from __future__ import annotations

from flowyard.client._httpx import httpx
from flowyard.client.api import Api
from flowyard.client.call import Call, T
from flowyard.client.defaults import default_api_key, default_api_url, tls_verify
from flowyard.client.endpoint import SyncTransport
from flowyard.client.errors import ServerUnreachable


class FlowyardClient(SyncTransport, Api):
    """Blocking client. ``api_url`` defaults to ``FLOWYARD_API_URL``; errors are typed ``ApiError``s.

    It sends each call once, so the CLI reports an unreachable server at once; the flow-run
    engine's :class:`~flowyard.engine.retry.RetryingClient` adds retries through an outage.
    """

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
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

    def send(self, call: Call[T]) -> T:
        """Send one call; raises its typed ``ApiError`` or ``ServerUnreachable``."""
        try:
            response = self._http.request(
                call.method, call.path, json=call.json(), params=call.params
            )
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"Cannot reach the flowyard server at {self.api_url} ({exc}). Start one "
                "with `flowyard server start` or set FLOWYARD_API_URL."
            ) from exc
        return call.result(response)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> FlowyardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
