"""Hook implementations for worker type ``ecs`` (registered as plugin ``worker:ecs``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowyard.hookspecs import hookimpl

if TYPE_CHECKING:
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

    from flowyard_aws.job import EcsHandle, EcsJob
    from flowyard_aws.variables import EcsVariables


@hookimpl
def variables_model() -> type[EcsVariables]:
    """Image, cluster, launch type, cpu/memory, roles, network, logs, watching, credentials."""
    from flowyard_aws.variables import EcsVariables

    return EcsVariables


@hookimpl
def render(configuration: dict[str, object], flow_run: FlowRunInfo) -> EcsJob:
    """Build an :class:`EcsJob`; the job name defaults to the flow run's name."""
    from flowyard_aws.job import EcsJob

    job = EcsJob.model_validate(configuration)
    return job if job.name else job.model_copy(update={"name": flow_run.name})


@hookimpl
def submit(job: EcsJob, flow_run: FlowRunInfo) -> Submission[EcsHandle]:
    """Reuse or register the task definition, run the task; id = ``cluster::task-arn``."""
    from flowyard_aws.run import submit as run

    return run(job, flow_run)


@hookimpl
def observe(job: EcsJob, submission: Submission[EcsHandle], flow_run: FlowRunInfo) -> ExitStatus:
    """Follow the task to STOPPED and explain how it ended (start timeout: stopped, CRASHED)."""
    from flowyard_aws.watch import watch

    return watch(job, submission)


@hookimpl
def lookup(job: EcsJob, flow_run: FlowRunInfo) -> Submission[EcsHandle] | None:
    """A task of this run not yet stopped, found by its ``startedBy`` (``fy-<run id>``)."""
    from flowyard_aws.run import lookup as find

    return find(job, flow_run)


@hookimpl
def kill(infrastructure_id: str, job: EcsJob, grace_seconds: float) -> None:
    """StopTask; an unknown or already stopped task raises ``InfrastructureNotFound``.

    ``grace_seconds`` is not used: ECS sends SIGTERM, then SIGKILL after the container
    definition's ``stopTimeout`` (30 s unless set).
    """
    from flowyard_aws.watch import stop

    stop(job, infrastructure_id)
