"""``flowyard deploy``: the deployments of a project, declared in ``flowyard.yaml``.

Example::

    deployments:
      - name: nightly
        entrypoint: flows/etl.py:etl          # relative to this file's directory
        parameters: {n: 3}
        work_pool:
          name: local
          work_queue_name: default            # optional
          job_variables: {env: {LOG_LEVEL: DEBUG}}
        schedules:
          - cron: "0 3 * * *"
            timezone: Europe/Berlin
        tags: [etl]

The whole file is checked before anything is sent, so a typo in the third deployment does not
leave the first two deployed and the rest not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flowyard.cli.output import fail, print_json, say
from flowyard.schemas.runs import Deployment, DeploymentCreate, Schedule


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkPoolRef(_Strict):
    """Where a deployment's runs go."""

    name: str
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)


class ProjectDeployment(_Strict):
    """One entry of ``deployments:``."""

    name: str
    entrypoint: str
    work_pool: WorkPoolRef
    parameters: dict[str, Any] = Field(default_factory=dict)
    schedules: list[Schedule] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    paused: bool = False


class Project(_Strict):
    """The whole ``flowyard.yaml``."""

    deployments: list[ProjectDeployment] = Field(min_length=1)


def load_project(file: Path) -> Project:
    """Parse and validate the file; errors name the file and the field."""
    import yaml

    try:
        data = yaml.safe_load(file.read_text())
    except OSError as exc:
        fail(
            f"Cannot read {file}: {exc.strerror}. Run `flowyard deploy` where flowyard.yaml is, or pass --file."
        )
    except yaml.YAMLError as exc:
        fail(f"{file} is not valid YAML: {exc}")
    try:
        return Project.model_validate(data or {})
    except ValidationError as exc:
        problems = "".join(
            f"\n  - {'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}"
            for e in exc.errors()
        )
        fail(f"{file} is not a valid flowyard project:{problems}")


def deploy_project(file: Path, names: list[str], *, dry_run: bool, as_json: bool) -> None:
    """Validate every selected deployment (loading its flow), then upsert them all."""
    from flowyard.client.errors import ValidationFailed
    from flowyard.flows.deploy import deployment_body
    from flowyard.flows.entrypoint import load
    from flowyard.flows.flow import Flow

    project = load_project(file)
    base = file.resolve().parent
    selected = [d for d in project.deployments if not names or d.name in names]
    unknown = sorted(set(names) - {d.name for d in project.deployments})
    if unknown:
        fail(
            f"No deployment named {', '.join(unknown)} in {file} (it has: {', '.join(d.name for d in project.deployments)})."
        )
    bodies = []
    for index, spec in enumerate(selected):
        try:
            target = load(spec.entrypoint, str(base))
        except Exception as exc:
            fail(
                f"deployments[{index}].entrypoint {spec.entrypoint!r}: {type(exc).__name__}: {exc}"
            )
        flow = target if isinstance(target, Flow) else Flow(target)
        try:
            body = deployment_body(
                flow,
                name=spec.name,
                work_pool_name=spec.work_pool.name,
                work_queue_name=spec.work_pool.work_queue_name,
                job_variables=spec.work_pool.job_variables,
                parameters=spec.parameters,
                tags=spec.tags,
                description=spec.description,
                paused=spec.paused,
                entrypoint=spec.entrypoint,
                path=str(base),
            )
        except ValidationFailed as exc:
            fail(f"deployments[{index}]: {exc}")
        bodies.append(body.model_copy(update={"schedules": spec.schedules}))
    if dry_run:
        if as_json:
            print_json([b.model_dump(mode="json", exclude_unset=True) for b in bodies])
        else:
            say(f"{file}: {len(bodies)} deployment(s) are valid; nothing was sent (--dry-run).")
        return
    from flowyard.cli.api import call

    def upsert(body: DeploymentCreate) -> Deployment:
        return call(lambda api: api.create_deployment(body))

    results = [upsert(body) for body in bodies]
    if as_json:
        print_json(results)
        return
    for deployment in results:
        say(
            f"Deployed [bold]{deployment.flow_name}/{deployment.name}[/bold] to pool "
            f"{deployment.work_pool_name} ({len(deployment.schedules)} schedule(s))."
        )
