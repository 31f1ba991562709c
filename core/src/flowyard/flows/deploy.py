"""``Flow.deploy``: register a deployment (entrypoint, pool, job variables, schedule)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowyard.flows.entrypoint import entrypoint_for
from flowyard.flows.flow import schedule_list

if TYPE_CHECKING:
    from flowyard.client import FlowyardClient
    from flowyard.schemas.runs import DeploymentCreate


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
) -> DeploymentCreate:
    """The ``POST /api/deployments`` body for a flow object; ``ValidationFailed`` names bad fields."""
    import pydantic

    from flowyard.client.errors import invalid_body
    from flowyard.flows.parameters import parameter_schema, to_json
    from flowyard.schemas.runs import DeploymentCreate

    if entrypoint is None:
        path, entrypoint = entrypoint_for(flow.fn, Path(path) if path else Path.cwd())
    try:
        return DeploymentCreate.model_validate(
            {
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
        )
    except pydantic.ValidationError as exc:
        raise invalid_body(f"deployment {flow.name}/{name}", exc) from None


def deploy(
    flow: Any, *, image: Any = None, build: bool = True, push: bool = False, **options: Any
) -> str:
    """Build the image if asked, upsert the deployment, print how to run it; returns its id."""
    from flowyard.client import FlowyardClient

    body = deployment_body(flow, **options)
    with FlowyardClient() as client:
        if image is not None:
            _with_image(client, body, image, build=build, push=push)
            body = _with_image(client, body, image, build=build, push=push)
        deployment = client.create_deployment(body)
    print(
        f"Deployment '{flow.name}/{deployment.name}' is on work pool "
        f"'{deployment.work_pool_name}'. Run it with:\n"
        f"  flowyard deployment run '{flow.name}/{deployment.name}'"
    )
    return deployment.id


def _with_image(
    client: FlowyardClient, body: DeploymentCreate, image: Any, *, build: bool, push: bool
) -> DeploymentCreate:
    """Build the project into ``image`` (checking the pool first); the body pointing at it."""
    from flowyard.flows.image import PROJECT_DIR, DeploymentImage, build_for_deployment

    if body.work_pool_name is None:
        raise ValueError("deploy(image=...) needs a work_pool_name: the pool's type builds it")
    pool = client.read_pool(body.work_pool_name)
    spec = image if isinstance(image, DeploymentImage) else DeploymentImage(name=str(image))
    project = Path(body.path or ".")
    if build:
        reference, inside = build_for_deployment(spec, project, pool.type, push)
    else:
        reference, inside = spec.reference, PROJECT_DIR
    return body.model_copy(
        update={"job_variables": {"image": reference, **body.job_variables}, "path": inside}
    )
