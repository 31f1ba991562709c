"""Client-side errors: what the server said (typed by what went wrong), or that it could not be reached.

Every error the server answers with becomes an :class:`ApiError` subclass whose message is the
server's: a missing object is :class:`WorkPoolNotFound`, :class:`DeploymentNotFound`, ...; a
duplicate is :class:`ObjectAlreadyExists`; a refused body is :class:`ValidationFailed` with one
:class:`~flowyard.errors.FieldError` per field. ``except ApiError`` catches them all.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from flowyard.errors import FieldError, FlowyardError

if TYPE_CHECKING:
    import httpx
    import pydantic


class ApiError(FlowyardError):
    """The server answered with an error status; ``detail`` is its message."""

    def __init__(self, status: int, detail: str, errors: list[FieldError] | None = None) -> None:
        self.status = status
        self.detail = detail
        self.errors = errors or []
        super().__init__(self.describe())

    def describe(self) -> str:
        """The server's message, then each field error it does not already mention."""
        extra = [e for e in self.errors if e.message not in self.detail]
        return "\n".join([self.detail, *(f"  - {e}" for e in extra)])

    @property
    def transient(self) -> bool:
        """True for 5xx and 429: worth retrying."""
        return self.status >= 500 or self.status == 429


class NotFoundError(ApiError):
    """HTTP 404: the object the request names does not exist."""


class WorkPoolNotFound(NotFoundError):
    """No work pool has that name."""


class WorkQueueNotFound(NotFoundError):
    """The pool has no work queue of that name."""


class DeploymentNotFound(NotFoundError):
    """No deployment has that id or ``flow/name``."""


class FlowRunNotFound(NotFoundError):
    """No flow run has that id."""


class WorkerNotFound(NotFoundError):
    """The pool has no worker of that name."""


class ConflictError(ApiError):
    """HTTP 409: the request conflicts with what is stored (a protected object, a pool in use)."""


class ObjectAlreadyExists(ConflictError):
    """An object with that name already exists."""


class ValidationFailed(ApiError):
    """HTTP 422: the request's content is wrong; ``errors`` names each field and why."""


class NotAuthorized(ApiError):
    """HTTP 401/403: no API key, an unknown one, or a role that does not allow this."""


class ServerUnreachable(FlowyardError):
    """No server answered at the API URL."""


BY_CODE: dict[str, type[ApiError]] = {
    "work_pool_not_found": WorkPoolNotFound,
    "work_queue_not_found": WorkQueueNotFound,
    "deployment_not_found": DeploymentNotFound,
    "flow_run_not_found": FlowRunNotFound,
    "worker_not_found": WorkerNotFound,
    "already_exists": ObjectAlreadyExists,
}
"""The server's ``code`` (see ``flowyard.server.errors``) → the error raised for it."""


def _field_errors(items: object) -> list[FieldError]:
    """``errors: [{field, message}]`` of a 422, or FastAPI's ``detail: [{loc, msg}]``."""
    if not isinstance(items, list):
        return []
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "loc" in item:  # FastAPI request validation: loc = ["body", "field", ...]
            loc = item["loc"] if isinstance(item["loc"], list) else []
            found.append(FieldError(".".join(str(p) for p in loc[1:]), str(item.get("msg"))))
        else:
            found.append(FieldError(str(item.get("field") or ""), str(item.get("message"))))
    return found


def error_for(response: httpx.Response, not_found: type[NotFoundError]) -> ApiError:
    """The typed error for an error response; ``not_found`` is used for a 404 the server did not type."""
    return error_from(response.status_code, response.text, not_found)


def error_from(status: int, text: str, not_found: type[NotFoundError]) -> ApiError:
    """The typed error for an error answer given as its status and body text (any client)."""
    try:
        body: object = json.loads(text)
    except ValueError:
        body = {"detail": text}
    fields = body if isinstance(body, dict) else {"detail": body}
    detail = fields.get("detail", "")
    errors = _field_errors(fields.get("errors") or detail)
    if isinstance(detail, list):  # FastAPI request-validation errors
        detail = "Invalid request: " + "; ".join(str(e) for e in errors)
    code = fields.get("code")
    cls: type[ApiError] = ApiError
    if isinstance(code, str) and code in BY_CODE:
        cls = BY_CODE[code]
    elif status == 404:
        cls = not_found
    elif status == 409:
        cls = ConflictError
    elif status == 422:
        cls = ValidationFailed
    elif status in (401, 403):
        cls = NotAuthorized
    return cls(status, str(detail), errors)


def invalid_body(what: str, exc: pydantic.ValidationError) -> ValidationFailed:
    """A request body refused before it was sent, reported like the server's 422 would be."""
    errors = [FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    return ValidationFailed(422, f"Invalid {what}: " + "; ".join(str(e) for e in errors), errors)
