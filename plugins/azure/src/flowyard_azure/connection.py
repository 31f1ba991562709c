"""The Azure credential and the Container Instances management client for a job."""

from __future__ import annotations

import logging
import os
from typing import Any

from flowyard_azure.job import AzureContainerInstanceJob
from flowyard_azure.variables import ClientSecretCredentials

# azure-core logs every request and response header at INFO; tokens are redacted there, but
# the noise drowns the worker's own lines.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
logging.getLogger("azure.identity").setLevel(logging.WARNING)


def credential(named: ClientSecretCredentials | None) -> Any:
    """``DefaultAzureCredential`` by default; a ``ClientSecretCredential`` for a named principal.

    :raises ValueError: the worker variable meant to hold the client secret is not set.
    """
    if named is None:
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()
    from azure.identity import ClientSecretCredential

    secret = (
        named.client_secret.get_secret_value()
        if named.client_secret is not None
        else os.environ.get(named.client_secret_env)
    )
    if not secret:
        raise ValueError(
            f"credentials.client_secret_env names {named.client_secret_env!r}, which is not set "
            "in the worker's environment; set it there (the secret never goes in the job "
            "configuration)"
        )
    kwargs: dict[str, Any] = {}
    if named.authority_host:
        # An authority the user names is trusted as named: MSAL would otherwise ask
        # login.microsoftonline.com whether a host it does not know is an authority.
        kwargs["authority"] = named.authority_host
        kwargs["disable_instance_discovery"] = True
    return ClientSecretCredential(named.tenant_id, named.client_id, secret, **kwargs)


def aci_client(job: AzureContainerInstanceJob) -> Any:
    """A ``ContainerInstanceManagementClient`` for the job's subscription and endpoint.

    Long-running operations poll at the job's ``task_watch_poll_interval`` unless Azure's
    ``Retry-After`` says otherwise.
    """
    from azure.mgmt.containerinstance import ContainerInstanceManagementClient

    return ContainerInstanceManagementClient(
        credential(job.credentials),
        job.subscription_id,
        base_url=job.arm_endpoint,
        credential_scopes=[f"{job.arm_endpoint}/.default"],
        polling_interval=job.task_watch_poll_interval,
    )


def resource_group_location(client: Any, job: AzureContainerInstanceJob) -> str:
    """The resource group's location (where a group without ``location`` goes).

    :raises RuntimeError: the resource group cannot be read, naming it and the fix.
    """
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    url = (
        f"{job.arm_endpoint}/subscriptions/{job.subscription_id}/resourcegroups/"
        f"{job.resource_group_name}?api-version=2021-04-01"
    )
    response = client._send_request(HttpRequest("GET", url))
    try:
        response.raise_for_status()
        return str(response.json()["location"])
    except (HttpResponseError, KeyError, ValueError) as exc:
        raise RuntimeError(
            f"Cannot read resource group {job.resource_group_name!r} to find its location "
            f"({response.status_code}): {exc}. Set the 'location' variable, or grant the "
            "worker's identity Microsoft.Resources/subscriptions/resourceGroups/read."
        ) from None
