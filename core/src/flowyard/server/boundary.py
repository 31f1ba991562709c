"""Checks at the HTTP boundary that come before any route: body size and URL characters."""

from __future__ import annotations

import json
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _answer(send: Send, status: int, detail: str, field: str) -> None:
    body = json.dumps({"detail": detail, "errors": [{"field": field, "message": detail}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BoundaryMiddleware:
    """Refuse a body over ``max_body_bytes`` (413) and a URL with NUL characters (422).

    The body is read (at most ``max_body_bytes`` + 1 bytes) before the route runs and replayed to
    it, so a request without ``Content-Length`` is bounded as well. NUL cannot be stored or
    compared by PostgreSQL, so it is refused in the path and query string of every request.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one HTTP request, then pass it on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = unquote(scope.get("query_string", b"").decode("latin-1"))
        if "\x00" in scope.get("path", "") or "\x00" in query:
            where = "path" if "\x00" in scope.get("path", "") else "query"
            await _answer(send, 422, f"The URL {where} must not contain NUL characters.", where)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
                await _answer(send, 413, self._too_large(), "body")
                return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _answer(send, 413, self._too_large(), "body")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return (
            f"The request body is larger than {self.max_body_bytes} bytes "
            "(setting FLOWYARD_SERVER_MAX_BODY_BYTES)."
        )
