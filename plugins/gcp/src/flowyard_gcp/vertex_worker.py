"""Hook implementations for worker type ``vertex-ai`` (registered as plugin ``worker:vertex-ai``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowyard.hookspecs import hookimpl

if TYPE_CHECKING:
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

    from flowyard_gcp.vertex import VertexHandle
    from flowyard_gcp.vertex_job import VertexJob
    from flowyard_gcp.vertex_variables import VertexVariables


@hookimpl
def variables_model() -> type[VertexVariables]:
    """Image, project, region, credentials, machine, accelerators, disk, network, scheduling."""
    from flowyard_gcp.vertex_variables import VertexVariables

    return VertexVariables


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> VertexJob:
    """Build a :class:`VertexJob` and check that it can become a CustomJob."""
    from flowyard_gcp.vertex_job import VertexJob

    job = VertexJob.model_validate(configuration)
    job.custom_job(flow_run)
    return job


@hookimpl
def submit(job: VertexJob, flow_run: FlowRunInfo) -> Submission[VertexHandle]:
    """Create the custom job; id = the job's resource name."""
    from flowyard_gcp.vertex import submit as create_job

    return create_job(job, flow_run)


@hookimpl
def observe(
    job: VertexJob, submission: Submission[VertexHandle], flow_run: FlowRunInfo
) -> ExitStatus | None:
    """Poll the job to a final state; explain failures from its state and error."""
    from flowyard_gcp.vertex import observe as follow

    return follow(job, submission)


@hookimpl
def kill(infrastructure_id: str, job: VertexJob, grace_seconds: float) -> None:
    """Cancel the job, then delete it (unless keep_job)."""
    from flowyard_gcp.vertex import kill as stop

    stop(infrastructure_id, job, grace_seconds)
