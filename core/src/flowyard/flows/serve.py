"""``Flow.serve``: deploy without a work pool and run the deployment's runs from this process.

It is the worker runtime in serve mode: runs are claimed by deployment id (no pool), each runs as
a ``python -m flowyard.engine`` subprocess through the ``process`` worker type, so scheduling,
cancellation and crash detection behave exactly as with a process worker.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any


def serve(
    flow: Any,
    *,
    name: str,
    parameters: dict[str, Any],
    schedule: dict[str, Any],
    limit: int | None,
    run_once: bool,
) -> None:
    """Register deployment ``<flow>/<name>`` (no pool) and execute its runs until interrupted."""
    from flowyard.client import FlowyardClient
    from flowyard.flows.deploy import deployment_body

    body = deployment_body(
        flow, name=name, work_pool_name=None, parameters=parameters, schedule=schedule
    )
    with FlowyardClient() as client:
        deployment = client.create_deployment(body)
    from flowyard.worker.runtime import configure_logging

    configure_logging()
    print(
        f"Serving '{flow.name}/{name}'. Start a run with:\n"
        f"  flowyard deployment run '{flow.name}/{name}'\nPress Ctrl-C to stop."
    )
    asyncio.run(_serve(deployment.id, f"{flow.name}/{name}", limit, run_once))


async def _serve(deployment_id: str, label: str, limit: int | None, run_once: bool) -> int:
    from flowyard.client.aio import AsyncFlowyardClient
    from flowyard.worker.runtime import Worker, WorkerOptions

    options = WorkerOptions.from_settings(
        f"(served {label})",
        name=f"serve-{socket.gethostname()}-{os.getpid()}",
        limit=limit,
        run_once=run_once,
        serve_deployment_ids=[deployment_id],
    )
    client = AsyncFlowyardClient()
    try:
        return await Worker(options, client).run()
    finally:
        await client.aclose()
