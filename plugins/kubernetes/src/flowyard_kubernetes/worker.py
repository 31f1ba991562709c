"""Hook implementations for worker type ``kubernetes`` (registered as plugin ``worker:kubernetes``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowyard.hookspecs import hookimpl

if TYPE_CHECKING:
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

    from flowyard_kubernetes.job import KubernetesJob
    from flowyard_kubernetes.jobs import JobHandle
    from flowyard_kubernetes.variables import KubernetesVariables


@hookimpl
def variables_model() -> type[KubernetesVariables]:
    """Image, namespace, service account, resources, timeouts, cluster config, API-key Secret."""
    from flowyard_kubernetes.variables import KubernetesVariables

    return KubernetesVariables


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> KubernetesJob:
    """Build a :class:`KubernetesJob` and check that its manifest can become the Job."""
    from flowyard_kubernetes.job import KubernetesJob

    job = KubernetesJob.model_validate(configuration)
    job.manifest(flow_run)  # fail here, before submission, on a manifest that cannot work
    return job


@hookimpl
def submit(job: KubernetesJob, flow_run: FlowRunInfo) -> Submission[JobHandle]:
    """Create the Job (name from the flow run, flowyard.io/* labels); id ``namespace:job``."""
    from flowyard_kubernetes.jobs import create

    return create(job, flow_run)


@hookimpl
def observe(
    job: KubernetesJob, submission: Submission[JobHandle], flow_run: FlowRunInfo
) -> ExitStatus | None:
    """Watch the Job's pod to its end; explain exit codes, OOMKilled, image pulls, deletions."""
    from flowyard_kubernetes.watching import observe as watch_job

    return watch_job(job, submission)


@hookimpl
def reattach(
    infrastructure_id: str, job: KubernetesJob, flow_run: FlowRunInfo
) -> Submission[JobHandle]:
    """Find the Job again by its ``namespace:job`` id, so a restarted worker watches it to its end."""
    from flowyard_kubernetes.jobs import reattach as find_job

    return find_job(infrastructure_id, job)


@hookimpl
def kill(infrastructure_id: str, job: KubernetesJob, grace_seconds: float) -> None:
    """Delete the Job with Foreground propagation and wait for its pod to go."""
    from flowyard_kubernetes.jobs import delete

    delete(infrastructure_id, job, grace_seconds)
