"""Typed HTTP clients for the REST API: :class:`FlowyardClient` (sync) and ``AsyncFlowyardClient``
(:mod:`flowyard.client.aio`). One method per route (:mod:`flowyard.client.api`); errors are typed
(:mod:`flowyard.client.errors`). :class:`~flowyard.client.plain.PlainClient` speaks plain JSON
with only the standard library, for the CLI's commands that print what they read.

The names below are imported on first use (PEP 562): importing ``flowyard.client.errors`` or
``flowyard.client.plain`` does not import httpx, pydantic and the API models (~0.2 s), which only
the typed clients need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

_HOMES = {
    "ApiError": "flowyard.client.errors",
    "ConflictError": "flowyard.client.errors",
    "DeploymentNotFound": "flowyard.client.errors",
    "FlowRunNotFound": "flowyard.client.errors",
    "NotAuthorized": "flowyard.client.errors",
    "NotFoundError": "flowyard.client.errors",
    "ObjectAlreadyExists": "flowyard.client.errors",
    "ServerUnreachable": "flowyard.client.errors",
    "ValidationFailed": "flowyard.client.errors",
    "WorkerNotFound": "flowyard.client.errors",
    "WorkPoolNotFound": "flowyard.client.errors",
    "WorkQueueNotFound": "flowyard.client.errors",
    "FlowyardClient": "flowyard.client.sync",
}

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


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'flowyard.client' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
