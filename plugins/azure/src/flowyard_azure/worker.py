"""Hook implementations for worker type ``azure-container-instance``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowyard.hookspecs import hookimpl

if TYPE_CHECKING:
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

    from flowyard_azure.groups import GroupHandle
    from flowyard_azure.job import AzureContainerInstanceJob
    from flowyard_azure.variables import AzureContainerInstanceVariables


@hookimpl
def variables_model() -> type[AzureContainerInstanceVariables]:
    """Image, subscription, resource group, resources, network, registry, credentials, timeouts."""
    from flowyard_azure.variables import AzureContainerInstanceVariables

    return AzureContainerInstanceVariables


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> AzureContainerInstanceJob:
    """Build an :class:`AzureContainerInstanceJob` and check its body can become a group."""
    from flowyard_azure.job import AzureContainerInstanceJob

    job = AzureContainerInstanceJob.model_validate(configuration)
    job.body(flow_run, job.location or "placeholder")  # fail here on a body that cannot work
    return job


@hookimpl
def submit(job: AzureContainerInstanceJob, flow_run: FlowRunInfo) -> Submission[GroupHandle]:
    """Create the container group (long-running operation); id ``resource-group:group``."""
    from flowyard_azure.groups import create

    return create(job, flow_run)


@hookimpl
def observe(
    job: AzureContainerInstanceJob, submission: Submission[GroupHandle], flow_run: FlowRunInfo
) -> ExitStatus | None:
    """Follow provisioning and the container to its exit code; then delete or stop the group."""
    from flowyard_azure.watching import observe as watch_group

    return watch_group(job, submission)


@hookimpl
def lookup(job: AzureContainerInstanceJob, flow_run: FlowRunInfo) -> Submission[GroupHandle] | None:
    """This run's container group, found by its name (which holds the run's id)."""
    from flowyard_azure.groups import lookup as find

    return find(job, flow_run)


@hookimpl
def kill(infrastructure_id: str, job: AzureContainerInstanceJob, grace_seconds: float) -> None:
    """Delete the group (stop it with ``keep_container_group``); unknown → InfrastructureNotFound."""
    from flowyard_azure.groups import delete

    delete(infrastructure_id, job, grace_seconds)
