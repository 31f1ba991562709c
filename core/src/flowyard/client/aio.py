"""Asynchronous client (worker runtime): the typed methods of :class:`~flowyard.client.api.Api`,
with retries for transient failures."""

from __future__ import annotations

import asyncio
import random

from flowyard.client._httpx import httpx
from flowyard.client.api import Api
from flowyard.client.call import Call, T
from flowyard.client.defaults import default_api_key, default_api_url, tls_verify
from flowyard.client.endpoint import AsyncTransport
from flowyard.client.errors import ApiError, ServerUnreachable


class AsyncFlowyardClient(AsyncTransport, Api):
    """Async client. ``retries`` applies to connection errors, 5xx and 429 of calls that allow it."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        self.api_url = (api_url or default_api_url()).rstrip("/")
        self.api_key = api_key if api_key is not None else default_api_key()
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._http = httpx.AsyncClient(
            base_url=self.api_url,
            headers=headers,
            timeout=timeout,
            verify=tls_verify(self.api_url),
        )
        self.retries = retries

    async def send(self, call: Call[T]) -> T:
        """Send one call, retrying transient failures with jittered back-off."""
        attempts = (self.retries if call.retry else 0) + 1
        for attempt in range(attempts):
            try:
                response = await self._http.request(
                    call.method, call.path, json=call.json(), params=call.params
                )
                return call.result(response)
            except httpx.TransportError as exc:
                if attempt == attempts - 1:
                    raise ServerUnreachable(
                        f"Cannot reach the flowyard server at {self.api_url}: {exc}"
                    ) from exc
            except ApiError as exc:
                if not exc.transient or attempt == attempts - 1:
                    raise
            await asyncio.sleep(min(2**attempt, 10) * (0.8 + 0.4 * random.random()) * 0.5)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
