"""``Flow.deploy``: register a deployment (entrypoint, pool, job variables, schedule)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowyard.flows.entrypoint import entrypoint_for
from flowyard.flows.flow import schedule_list


def deployment_body(
    flow: Any,
    *,
    name: str,
    work_pool_name: str | None,
    work_queue_name: str | None = None,
    job_variables: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    schedule: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    description: str | None = None,
    paused: bool = False,
    entrypoint: str | None = None,
    path: str | None = None,
) -> dict[str, Any]:
    """The ``POST /api/deployments`` body for a flow object."""
    from flowyard.flows.parameters import to_json

    if entrypoint is None:
        path, entrypoint = entrypoint_for(flow.fn, Path(path) if path else Path.cwd())
    return {
        "flow_name": flow.name,
        "name": name,
        "work_pool_name": work_pool_name,
        "work_queue_name": work_queue_name,
        "entrypoint": entrypoint,
        "path": path,
        "parameters": to_json(parameters or {}),
        "job_variables": job_variables or {},
        "tags": tags or [],
        "description": description if description is not None else flow.description,
        "paused": paused,
        "schedules": schedule_list(schedule or {}),
    }


def deploy(flow: Any, **options: Any) -> str:
    """Upsert the deployment and print how to run it; returns the deployment id."""
    from flowyard.client import FlowyardClient

    body = deployment_body(flow, **options)
    with FlowyardClient() as client:
        deployment = client.request("POST", "/deployments", json=body)
    print(
        f"Deployment '{flow.name}/{deployment['name']}' is on work pool "
        f"'{deployment['work_pool_name']}'. Run it with:\n"
        f"  flowyard deployment run '{flow.name}/{deployment['name']}'"
    )
    return str(deployment["id"])
