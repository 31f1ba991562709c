"""What a warm engine imports ahead of time (see ``flowyard_process.forkserver``).

A fork server calls :func:`preload` once; every run forked from it then starts with the engine,
the client and the flow SDK already imported. Importing must not start threads, open sockets or
read settings: everything here is per run and happens after the fork. Building an idle client
(no connection) and the default TLS context is fine: both are plain objects a child may reuse.
"""

from __future__ import annotations

import importlib

ENGINE_MODULES = (
    "flowyard.engine.run",
    "flowyard.engine.retry",
    "flowyard.client",
    "flowyard.flows",
    "flowyard.flows.entrypoint",
    "flowyard.flows.execution",
    "flowyard.flows.flow",
    "flowyard.flows.logs",
    "flowyard.settings",
)
"""Modules a flow run imports on its way to the flow body."""


def preload() -> None:
    """Import :data:`ENGINE_MODULES` (and what they import) into this process."""
    for name in ENGINE_MODULES:
        importlib.import_module(name)
    from flowyard.client import FlowyardClient
    from flowyard.client.defaults import tls_verify

    # httpx imports its transport (httpcore, h11) when the first client is built: build one (it
    # opens no connection) so that import is done here, and build the shared TLS context once.
    FlowyardClient(api_url="http://127.0.0.1:1/api").close()
    tls_verify("https://flowyard.invalid/api")
