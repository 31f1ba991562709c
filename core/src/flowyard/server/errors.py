"""Service-level errors; the API maps each to an HTTP status with its message and ``code``.

``code`` tells a client which typed error to raise (``flowyard.client.errors.BY_CODE``):
``work_pool_not_found``, ``work_queue_not_found``, ``deployment_not_found``,
``flow_run_not_found``, ``worker_not_found``, ``already_exists``; the generic codes are
``not_found``, ``conflict``, ``invalid`` and ``forbidden``.
"""

from __future__ import annotations

from flowyard.errors import FlowyardError


class NotFound(FlowyardError):
    """404: the named object does not exist; ``code`` says which kind of object."""

    def __init__(self, message: str, code: str = "not_found") -> None:
        super().__init__(message)
        self.code = code


class Conflict(FlowyardError):
    """409: the request conflicts with the current state (duplicate, protected object)."""

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(message)
        self.code = code


class Invalid(FlowyardError):
    """422: the request is well-formed but its content is wrong; ``field`` names where."""

    code = "invalid"

    def __init__(
        self, message: str, field: str | None = None, errors: list[dict[str, str]] | None = None
    ):
        super().__init__(message)
        self.field = field
        self.errors = errors or ([{"field": field, "message": message}] if field else [])


class Forbidden(FlowyardError):
    """403: the API key's role does not allow this."""

    code = "forbidden"
