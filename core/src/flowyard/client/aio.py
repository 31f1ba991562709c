"""Asynchronous client (worker runtime), with retries for transient failures."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx

from flowyard.client.defaults import default_api_key, default_api_url, tls_verify
from flowyard.client.errors import ApiError, ServerUnreachable, raise_for


class AsyncFlowyardClient:
    """Async JSON client. ``retries`` applies to connection errors, 5xx and 429 only."""

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

    async def request(
        self, method: str, path: str, *, retries: int | None = None, **kwargs: Any
    ) -> Any:
        """Send a request, retrying transient failures with jittered back-off."""
        attempts = (self.retries if retries is None else retries) + 1
        for attempt in range(attempts):
            try:
                response = await self._http.request(method, path, **kwargs)
                raise_for(response)
                return (
                    None if response.status_code == 204 or not response.content else response.json()
                )
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
