"""Create, find, stop and delete flow-run container groups through the official client."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from flowyard.errors import InfrastructureNotFound
from flowyard.job import FlowRunInfo, Submission

from flowyard_azure.connection import aci_client, resource_group_location
from flowyard_azure.job import AzureContainerInstanceJob

log = logging.getLogger("flowyard.azure")
DELETE_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class GroupHandle:
    """What ``observe`` needs in-process: the client, where the group is, the create poller."""

    client: Any
    resource_group: str
    name: str
    container: str
    poller: Any = None


def parse_id(infrastructure_id: str) -> tuple[str, str]:
    """``resource-group:container-group`` → ``(resource group, container group)``.

    :raises ValueError: anything else, naming the expected shape.
    """
    resource_group, sep, name = infrastructure_id.partition(":")
    if not sep or not resource_group or not name or ":" in name:
        raise ValueError(
            f"infrastructure id {infrastructure_id!r} is not an azure-container-instance one "
            "('resource-group:container-group')"
        )
    return resource_group, name


def error_text(exc: Any) -> str:
    """``<code>: <message>`` from an azure-core ``HttpResponseError``."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    return f"{code}: {message}" if code else str(message)


def _create_error(exc: Any, job: AzureContainerInstanceJob) -> RuntimeError:
    status = getattr(exc, "status_code", None)
    hint = ""
    if status == 403:
        hint = (
            " Hint: the worker's identity needs Microsoft.ContainerInstance/containerGroups/write "
            f"on resource group {job.resource_group_name!r} (see the flowyard-azure README)."
        )
    elif status == 404:
        hint = f" Hint: does resource group {job.resource_group_name!r} exist in the subscription?"
    elif status == 401:
        hint = " Hint: the worker's Azure credential was refused; check its tenant and secret."
    return RuntimeError(f"Unable to create the container group: {status} {error_text(exc)}.{hint}")


def create(job: AzureContainerInstanceJob, flow_run: FlowRunInfo) -> Submission[GroupHandle]:
    """PUT the container group (a long-running operation) and return once Azure accepted it.

    The operation's poller goes into the handle: ``observe`` waits for provisioning to end.
    Id: ``resource-group:container-group``.
    """
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    client = aci_client(job)
    location = job.location or (
        job.container_group.get("location") if job.container_group else None
    )
    try:
        location = location or resource_group_location(client, job)
        name = job.group_name(flow_run)
        body = job.body(flow_run, location)
        container = body["properties"]["containers"][0]["name"]
        poller = client.container_groups.begin_create_or_update(
            job.resource_group_name,
            name,
            json.dumps(body).encode(),
            content_type="application/json",
        )
    except ClientAuthenticationError as exc:
        raise RuntimeError(
            f"The worker could not get an Azure token: {exc.message}. With no 'credentials' "
            "variable the worker uses DefaultAzureCredential (environment, workload identity, "
            "managed identity, Azure CLI)."
        ) from None
    except HttpResponseError as exc:
        raise _create_error(exc, job) from None
    log.info(
        "Created container group %s/%s for flow run %s", job.resource_group_name, name, flow_run.id
    )
    return Submission(
        infrastructure_id=f"{job.resource_group_name}:{name}",
        handle=GroupHandle(
            client=client,
            resource_group=job.resource_group_name,
            name=name,
            container=container,
            poller=poller,
        ),
        details={
            "resource_group": job.resource_group_name,
            "container_group": name,
            "location": location,
        },
    )


def reattach(infrastructure_id: str, job: AzureContainerInstanceJob) -> Submission[GroupHandle]:
    """Rebuild a submission from its id alone (a restarted worker watching a group).

    :raises InfrastructureNotFound: the group does not exist (any more).
    """
    from azure.core.exceptions import ResourceNotFoundError

    resource_group, name = parse_id(infrastructure_id)
    client = aci_client(job)
    try:
        group = client.container_groups.get(resource_group, name)
    except ResourceNotFoundError:
        raise InfrastructureNotFound(
            f"Container group {resource_group}/{name} no longer exists."
        ) from None
    return Submission(
        infrastructure_id=infrastructure_id,
        handle=GroupHandle(
            client=client,
            resource_group=resource_group,
            name=name,
            container=group.containers[0].name,
        ),
        details={"resource_group": resource_group, "container_group": name},
    )


def lookup(job: AzureContainerInstanceJob, flow_run: FlowRunInfo) -> Submission[GroupHandle] | None:
    """This run's container group (named from the run's id), else None."""
    try:
        return reattach(f"{job.resource_group_name}:{job.group_name(flow_run)}", job)
    except InfrastructureNotFound:
        return None


def remove(client: Any, resource_group: str, name: str, keep: bool, wait: float) -> None:
    """Stop (``keep``) or delete the group, waiting up to ``wait`` seconds for the deletion.

    :raises ResourceNotFoundError: the group does not exist.
    """
    if keep:
        client.container_groups.stop(resource_group, name)
        log.info("Stopped container group %s/%s (kept)", resource_group, name)
        return
    poller = client.container_groups.begin_delete(resource_group, name)
    poller.wait(timeout=wait)
    if poller.done():
        log.info("Deleted container group %s/%s", resource_group, name)
    else:
        log.warning(
            "Container group %s/%s is still being deleted after %.0f s; check for an orphaned "
            "group if it stays",
            resource_group,
            name,
            wait,
        )


def delete(infrastructure_id: str, job: AzureContainerInstanceJob, grace_seconds: float) -> None:
    """Delete (or, with ``keep_container_group``, stop) a run's group; ACI has no polite stop.

    :raises InfrastructureNotFound: the group does not exist (any more).
    """
    from azure.core.exceptions import ResourceNotFoundError

    resource_group, name = parse_id(infrastructure_id)
    client = aci_client(job)
    try:
        client.container_groups.get(resource_group, name)
        remove(
            client,
            resource_group,
            name,
            job.keep_container_group,
            grace_seconds + DELETE_WAIT_SECONDS,
        )
    except ResourceNotFoundError:
        raise InfrastructureNotFound(
            f"Container group {resource_group}/{name} no longer exists."
        ) from None
