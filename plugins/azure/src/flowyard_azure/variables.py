"""The azure-container-instance worker type's job variables and its container group template."""

from __future__ import annotations

from typing import Any

from flowyard.job import BaseVariables
from pydantic import BaseModel, ConfigDict, Field, SecretStr

DEFAULT_IMAGE = "flowyard-python:3.11"
CONTAINER_NAME = "flowyard-job"
PUBLIC_CLOUD = "https://management.azure.com"


class ClientSecretCredentials(BaseModel):
    """A service principal's client secret, named instead of written down.

    The secret itself never enters a job configuration: ``client_secret_env`` names an
    environment variable **on the worker** that holds it, read when the client is built.
    """

    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(title="Tenant ID", description="Directory (tenant) id.")
    client_id: str = Field(title="Client ID", description="Application (client) id.")
    client_secret_env: str = Field(
        default="AZURE_CLIENT_SECRET",
        title="Client Secret Variable",
        description="Name of the worker's environment variable holding the client secret.",
    )
    client_secret: SecretStr | None = Field(
        default=None,
        title="Client Secret",
        description="The client secret itself: only ever set from a secret of the server's "
        "store (the whole credentials value `{{ secret('<name>') }}`, kind azure: JSON with "
        "tenant_id, client_id, client_secret), resolved in memory by whoever submits.",
    )
    authority_host: str | None = Field(
        default=None,
        title="Authority Host",
        description="Microsoft Entra authority, e.g. https://login.microsoftonline.us; "
        "defaults to the public cloud's. An authority named here is trusted as named (no "
        "instance discovery against login.microsoftonline.com).",
    )


class RegistryCredentials(BaseModel):
    """How ACI pulls from a private registry: a user and a password variable, or an identity."""

    model_config = ConfigDict(extra="forbid")

    server: str = Field(title="Server", description="Registry host, e.g. myreg.azurecr.io.")
    username: str | None = Field(default=None, title="Username", description="Registry user.")
    password_env: str | None = Field(
        default=None,
        title="Password Variable",
        description="Name of the worker's environment variable holding the registry password "
        "(the password never enters the job configuration).",
    )
    identity: str | None = Field(
        default=None,
        title="Identity",
        description="Resource id of a user-assigned identity with AcrPull on the registry, "
        "instead of a username and password.",
    )


class AzureContainerInstanceVariables(BaseVariables):
    """What a pool, deployment or flow run may set for a flow run's container group."""

    name: str | None = Field(
        default=None,
        title="Name",
        description="Prefix of the container group's name (the flow run id is appended); "
        "defaults to the flow run's name.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        title="Labels",
        description="Azure tags on the container group; merged per key (flowyard.* added).",
    )
    command: str | None = Field(
        default=None,
        title="Command",
        description="Command to run; defaults to the flowyard engine (`python -m flowyard.engine`). "
        "ACI's command replaces the image's ENTRYPOINT; see `entrypoint`.",
    )
    subscription_id: str | None = Field(
        default=None,
        title="Subscription ID",
        description="Azure subscription holding the resource group; null uses the worker's "
        "AZURE_SUBSCRIPTION_ID.",
    )
    resource_group_name: str | None = Field(
        default=None,
        title="Resource Group",
        description="Resource group to create container groups in; null uses the worker's "
        "AZURE_RESOURCE_GROUP.",
    )
    location: str | None = Field(
        default=None,
        title="Location",
        description="Azure region of the container group; defaults to the resource group's.",
    )
    image: str = Field(
        default=DEFAULT_IMAGE,
        title="Image",
        description="Image with flowyard installed, e.g. the one `flow.deploy(image=...)` built.",
    )
    entrypoint: str | None = Field(
        default=None,
        title="Entrypoint",
        description="Put in front of the command (ACI's command replaces the image's "
        "ENTRYPOINT), e.g. `/opt/entrypoint.sh`.",
    )
    image_registry: RegistryCredentials | None = Field(
        default=None,
        title="Image Registry",
        description="Credentials ACI pulls the image with; null for a public image.",
    )
    identities: list[str] | None = Field(
        default=None,
        title="Identities",
        description="Resource ids of user-assigned managed identities for the container group.",
    )
    cpu: float = Field(default=1.0, gt=0, le=16, title="CPU", description="CPU cores.")
    memory: float = Field(
        default=1.0, gt=0, le=64, title="Memory (GB)", description="Memory in GB."
    )
    gpu_count: int | None = Field(
        default=None, ge=1, title="GPU Count", description="GPUs; null for none."
    )
    gpu_sku: str | None = Field(
        default=None, title="GPU SKU", description="K80, P100 or V100 (with gpu_count)."
    )
    subnet_ids: list[str] | None = Field(
        default=None,
        title="Subnet IDs",
        description="Resource ids of subnets to deploy the group into (virtual network).",
    )
    dns_servers: list[str] | None = Field(
        default=None, title="DNS Servers", description="Name servers for the group."
    )
    stream_output: bool = Field(
        default=False,
        title="Stream Output",
        description="Copy the container's log to the worker's output while it runs.",
    )
    keep_container_group: bool = Field(
        default=False,
        title="Keep Container Group",
        description="Stop the group instead of deleting it when the run ends (stopped groups "
        "are not billed; they keep their logs and state for inspection).",
    )
    task_start_timeout_seconds: int = Field(
        default=240,
        ge=1,
        title="Start Timeout (seconds)",
        description="How long provisioning and the container's start may take; after that the "
        "group is deleted and the run ends CRASHED with the reason.",
    )
    task_watch_poll_interval: float = Field(
        default=5.0,
        gt=0,
        le=300,
        title="Poll Interval (seconds)",
        description="Seconds between two reads of the container group's state.",
    )
    credentials: ClientSecretCredentials | None = Field(
        default=None,
        title="Credentials",
        description="A service principal (tenant, client id, and the worker variable holding "
        "its secret); null uses DefaultAzureCredential (environment, workload or managed "
        "identity, Azure CLI).",
    )
    arm_endpoint: str | None = Field(
        default=None,
        title="Resource Manager Endpoint",
        description="Azure Resource Manager URL for another cloud (e.g. "
        "https://management.usgovcloudapi.net); null uses the worker's "
        "AZURE_RESOURCE_MANAGER_ENDPOINT, else https://management.azure.com.",
    )

    @classmethod
    def job_configuration(cls) -> dict[str, Any]:
        """The container group body with placeholders, plus the worker's own settings."""
        settings = [
            "subscription_id",
            "resource_group_name",
            "location",
            "entrypoint",
            "image_registry",
            "identities",
            "stream_output",
            "keep_container_group",
            "task_start_timeout_seconds",
            "task_watch_poll_interval",
            "credentials",
            "arm_endpoint",
        ]
        config: dict[str, Any] = {
            "command": "{{ command }}",
            "env": "{{ env }}",
            "labels": "{{ labels }}",
            "name": "{{ name }}",
            "container_group": {
                "location": "{{ location }}",
                "tags": "{{ labels }}",
                "properties": {
                    "containers": [
                        {
                            "name": CONTAINER_NAME,
                            "properties": {
                                "image": "{{ image }}",
                                "command": "{{ command }}",
                                "environmentVariables": "{{ env }}",
                                "resources": {
                                    "requests": {
                                        "cpu": "{{ cpu }}",
                                        "memoryInGB": "{{ memory }}",
                                        "gpu": {"count": "{{ gpu_count }}", "sku": "{{ gpu_sku }}"},
                                    }
                                },
                            },
                        }
                    ],
                    "osType": "Linux",
                    "restartPolicy": "Never",
                    "subnetIds": "{{ subnet_ids }}",
                    "dnsConfig": {"nameServers": "{{ dns_servers }}"},
                },
            },
        }
        config.update({key: "{{ " + key + " }}" for key in settings})
        return config
