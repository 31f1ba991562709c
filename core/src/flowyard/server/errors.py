"""Service-level errors; the API maps each to an HTTP status with its message."""

from __future__ import annotations

from flowyard.errors import FlowyardError


class NotFound(FlowyardError):
    """404: the named object does not exist."""


class Conflict(FlowyardError):
    """409: the request conflicts with the current state (duplicate, protected object)."""


class Invalid(FlowyardError):
    """422: the request is well-formed but its content is wrong; ``field`` names where."""

    def __init__(
        self, message: str, field: str | None = None, errors: list[dict[str, str]] | None = None
    ):
        super().__init__(message)
        self.field = field
        self.errors = errors or ([{"field": field, "message": message}] if field else [])


class Forbidden(FlowyardError):
    """403: the API key's role does not allow this."""
