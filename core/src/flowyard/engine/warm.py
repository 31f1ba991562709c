"""What a warm engine imports ahead of time (see ``flowyard_process.forkserver``).

A fork server calls :func:`preload` once; every run forked from it then starts with the engine,
the client and the flow SDK already imported. Importing must not start threads, open sockets or
read settings: everything here is per run and happens after the fork. Building an idle client
(no connection) and the default TLS context is fine: both are plain objects a child may reuse.
The API's answer models build their validators on first use (``defer_build``, for cold starts);
here they are all built once, so no run pays for it (~8 ms of CPU each, three per run).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

ENGINE_MODULES = (
    "flowyard.engine.run",
    "flowyard.engine.handoff",
    "flowyard.engine.retry",
    "flowyard.client",
    "flowyard.flows",
    "flowyard.flows.entrypoint",
    "flowyard.flows.execution",
    "flowyard.flows.flow",
    "flowyard.flows.logs",
)
"""Modules a flow run imports on its way to the flow body."""


def _subclasses(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for subclass in model.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def preload() -> None:
    """Import :data:`ENGINE_MODULES` (and what they import) and build every answer model."""
    for name in ENGINE_MODULES:
        importlib.import_module(name)
    from flowyard.schemas.common import Response

    for model in _subclasses(Response):
        model.model_rebuild()
    from flowyard.client import FlowyardClient
    from flowyard.client.defaults import tls_verify

    # httpx imports its transport (httpcore, h11) when the first client is built: build one (it
    # opens no connection) so that import is done here, and build the shared TLS context once.
    FlowyardClient(api_url="http://127.0.0.1:1/api").close()
    tls_verify("https://flowyard.invalid/api")
