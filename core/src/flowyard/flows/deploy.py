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
    from flowyard.flows.parameters import parameter_schema, to_json

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
        "parameter_schema": parameter_schema(flow.fn),
        "job_variables": job_variables or {},
        "tags": tags or [],
        "description": description if description is not None else flow.description,
        "paused": paused,
        "schedules": schedule_list(schedule or {}),
    }


def deploy(
    flow: Any, *, image: Any = None, build: bool = True, push: bool = False, **options: Any
) -> str:
    """Build the image if asked, upsert the deployment, print how to run it; returns its id."""
    from flowyard.client import FlowyardClient

    body = deployment_body(flow, **options)
    with FlowyardClient() as client:
        if image is not None:
            _with_image(client, body, image, build=build, push=push)
        deployment = client.request("POST", "/deployments", json=body)
    print(
        f"Deployment '{flow.name}/{deployment['name']}' is on work pool "
        f"'{deployment['work_pool_name']}'. Run it with:\n"
        f"  flowyard deployment run '{flow.name}/{deployment['name']}'"
    )
    return str(deployment["id"])


def _with_image(client: Any, body: dict[str, Any], image: Any, *, build: bool, push: bool) -> None:
    """Build the project into ``image`` (checking the pool first) and point the deployment at it."""
    from flowyard.flows.image import PROJECT_DIR, DeploymentImage, build_for_deployment

    pool = client.request("GET", f"/work_pools/{body['work_pool_name']}")
    spec = image if isinstance(image, DeploymentImage) else DeploymentImage(name=str(image))
    project = Path(body["path"])
    if build:
        reference, inside = build_for_deployment(spec, project, pool["type"], push)
    else:
        reference, inside = spec.reference, PROJECT_DIR
    body["job_variables"] = {"image": reference, **body["job_variables"]}
    body["path"] = inside
