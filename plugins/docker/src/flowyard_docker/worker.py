"""Hook implementations for worker type ``docker`` (registered as plugin ``worker:docker``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowyard.hookspecs import hookimpl

if TYPE_CHECKING:
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

    from flowyard_docker.container import ContainerHandle
    from flowyard_docker.job import DockerJob
    from flowyard_docker.variables import DockerVariables


@hookimpl
def variables_model() -> type[DockerVariables]:
    """Image, pull policy, networks, volumes, limits, privileges, extra create arguments."""
    from flowyard_docker.variables import DockerVariables

    return DockerVariables


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> DockerJob:
    """Build a :class:`DockerJob`; the container name defaults to the flow run's name.

    Registry credentials get their password from the worker's environment here
    (``password_env``); validation errors name the fields without echoing any input value.
    """
    from flowyard_docker.job import validated

    job = validated(configuration)
    if job.registry_credentials is not None:
        job = job.model_copy(update={"registry_credentials": job.registry_credentials.resolved()})
    return job if job.name else job.model_copy(update={"name": flow_run.name})


@hookimpl
def submit(job: DockerJob, flow_run: FlowRunInfo) -> Submission[ContainerHandle]:
    """Pull the image if the policy says so, create and start the container; id = container id."""
    from flowyard_docker.container import create_and_start

    return create_and_start(job, flow_run)


@hookimpl
def observe(
    job: DockerJob, submission: Submission[ContainerHandle], flow_run: FlowRunInfo
) -> ExitStatus:
    """Wait for the container; explain non-zero exits and OOM kills; remove it if ``auto_remove``."""
    from flowyard_docker.container import wait

    return wait(job, submission)


@hookimpl
def reattach(
    infrastructure_id: str, job: DockerJob, flow_run: FlowRunInfo
) -> Submission[ContainerHandle]:
    """Find the container again by its id, so a restarted worker waits for it to the end."""
    from flowyard_docker.container import find

    return find(infrastructure_id, job)


@hookimpl
def kill(infrastructure_id: str, job: DockerJob, grace_seconds: float) -> None:
    """Stop the container (SIGTERM, SIGKILL after ``grace_seconds``), then remove it."""
    from flowyard_docker.container import stop_and_remove

    stop_and_remove(infrastructure_id, grace_seconds)


@hookimpl
def build_image(
    image: str,
    project_dir: str,
    dockerfile: str,
    base_image: str | None,
    push: bool,
    build_kwargs: dict[str, Any],
) -> str:
    """Build the deployment image from the project directory (see :mod:`flowyard_docker.build`)."""
    from flowyard_docker.build import PROJECT_DIR, build

    build(
        image,
        Path(project_dir),
        dockerfile=dockerfile,
        base_image=base_image,
        push=push,
        build_kwargs=build_kwargs,
    )
    return PROJECT_DIR
