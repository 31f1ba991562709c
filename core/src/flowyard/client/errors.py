"""Client-side errors: what the server said, or that it could not be reached."""

from __future__ import annotations

from typing import Any

import httpx

from flowyard.errors import FlowyardError


class ApiError(FlowyardError):
    """The server answered with an error status; ``detail`` is its message."""

    def __init__(
        self, status: int, detail: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        self.status = status
        self.detail = detail
        self.errors = errors or []
        super().__init__(f"{detail} (HTTP {status})")

    @property
    def transient(self) -> bool:
        """True for 5xx and 429: worth retrying."""
        return self.status >= 500 or self.status == 429


class NotFoundError(ApiError):
    """HTTP 404."""


class ServerUnreachable(FlowyardError):
    """No server answered at the API URL."""


def raise_for(response: httpx.Response) -> None:
    """Turn an error response into a typed :class:`ApiError`."""
    if response.is_success:
        return
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text}
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):  # FastAPI request-validation errors
        parts = []
        for item in detail:
            loc = ".".join(str(p) for p in item.get("loc", [])[1:])
            parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
        detail = "; ".join(parts)
    errors = body.get("errors") if isinstance(body, dict) else None
    cls = NotFoundError if response.status_code == 404 else ApiError
    raise cls(response.status_code, str(detail), errors)
