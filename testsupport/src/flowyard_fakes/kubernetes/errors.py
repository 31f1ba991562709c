"""Errors the emulator answers with a Kubernetes ``Status`` object."""

from __future__ import annotations

from flowyard_fakes.kubernetes.store import Obj


class ApiError(Exception):
    """An error the API answers with a ``Status`` object (``reason`` as the API server names it)."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}
        super().__init__(message)

    def status(self) -> Obj:
        """The ``v1.Status`` body."""
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def not_found(kind: str, name: str, group: str = "") -> ApiError:
    """The API server's 404 for ``kind`` (plural resource name) ``name``."""
    resource = f"{kind}.{group}" if group else kind
    details = {"name": name, "kind": kind, **({"group": group} if group else {})}
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', details)
