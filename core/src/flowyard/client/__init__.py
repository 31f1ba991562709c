"""Typed HTTP clients for the REST API: :class:`FlowyardClient` (sync) and ``AsyncFlowyardClient``
(:mod:`flowyard.client.aio`). One method per route (:mod:`flowyard.client.api`); errors are typed
(:mod:`flowyard.client.errors`).

httpx imports its optional command-line client (click, rich, pygments: ~0.1 s) at import time.
Flowyard never uses it, so it is hidden while httpx loads; this cuts the start-up of every flow
run's engine process (and so dispatch latency, see bench/dispatch_latency.py).
"""

import sys

if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx  # noqa: F401
    finally:
        del sys.modules["httpx._main"]

from flowyard.client.errors import (
    ApiError,
    ConflictError,
    DeploymentNotFound,
    FlowRunNotFound,
    NotAuthorized,
    NotFoundError,
    ObjectAlreadyExists,
    ServerUnreachable,
    ValidationFailed,
    WorkerNotFound,
    WorkPoolNotFound,
    WorkQueueNotFound,
)
from flowyard.client.sync import FlowyardClient

__all__ = [
    "ApiError",
    "ConflictError",
    "DeploymentNotFound",
    "FlowRunNotFound",
    "FlowyardClient",
    "NotAuthorized",
    "NotFoundError",
    "ObjectAlreadyExists",
    "ServerUnreachable",
    "ValidationFailed",
    "WorkPoolNotFound",
    "WorkQueueNotFound",
    "WorkerNotFound",
]
