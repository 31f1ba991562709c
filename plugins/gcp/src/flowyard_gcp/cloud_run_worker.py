"""Hook implementations for worker type ``cloud-run`` (registered as plugin ``worker:cloud-run``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowyard.hookspecs import hookimpl

if TYPE_CHECKING:
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

    from flowyard_gcp.cloud_run import CloudRunHandle
    from flowyard_gcp.cloud_run_job import CloudRunJob
    from flowyard_gcp.cloud_run_variables import CloudRunVariables


@hookimpl
def variables_model() -> type[CloudRunVariables]:
    """Image, project, region, credentials, resources, timeout, retries, VPC, service account."""
    from flowyard_gcp.cloud_run_variables import CloudRunVariables

    return CloudRunVariables


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> CloudRunJob:
    """Build a :class:`CloudRunJob` and check that its body can become a v2 Job."""
    from flowyard_gcp.cloud_run_job import CloudRunJob

    job = CloudRunJob.model_validate(configuration)
    job.body(flow_run)
    return job


@hookimpl
def submit(job: CloudRunJob, flow_run: FlowRunInfo) -> Submission[CloudRunHandle]:
    """Create the job, wait until it is Ready, run it; id = the job's resource name."""
    from flowyard_gcp.cloud_run import submit as run_job

    return run_job(job, flow_run)


@hookimpl
def observe(
    job: CloudRunJob, submission: Submission[CloudRunHandle], flow_run: FlowRunInfo
) -> ExitStatus | None:
    """Poll the execution to its end; explain failures from its conditions and task exit code."""
    from flowyard_gcp.cloud_run import observe as follow

    return follow(job, submission)


@hookimpl
def lookup(job: CloudRunJob, flow_run: FlowRunInfo) -> Submission[CloudRunHandle] | None:
    """This run's job, found by its id (derived from the run's id); runs it if never run."""
    from flowyard_gcp.cloud_run import lookup as find

    return find(job, flow_run)


@hookimpl
def kill(infrastructure_id: str, job: CloudRunJob, grace_seconds: float) -> None:
    """Cancel the running executions, then delete the job (unless keep_job)."""
    from flowyard_gcp.cloud_run import kill as stop

    stop(infrastructure_id, job, grace_seconds)
