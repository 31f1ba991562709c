"""The docker worker type's job variables: the one source of its default base job template."""

from __future__ import annotations

from typing import Any, Literal

from flowyard.job import BaseVariables
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_START_TIMEOUT_SECONDS = 300.0


class RegistryCredentialsVariables(BaseModel):
    """How the worker logs in to a private registry; the password itself is never a job variable."""

    model_config = ConfigDict(extra="forbid", title="Registry Credentials")

    registry_url: str = Field(
        title="Registry URL",
        description="The registry to log in to, e.g. 'registry.example.com' or '127.0.0.1:5000'.",
        min_length=1,
    )
    username: str = Field(title="Username", description="The registry user.", min_length=1)
    password_env: str = Field(
        title="Password Environment Variable",
        description="Name of an environment variable ON THE WORKER that holds the password "
        "(the password is never stored on the server), e.g. 'REGISTRY_PASSWORD'.",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
    )


class DockerVariables(BaseVariables):
    """What a pool, deployment or flow run may set for a flow run's container."""

    name: str | None = Field(
        default=None,
        title="Name",
        description="Container name; defaults to the flow run's name.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        title="Labels",
        description="Docker labels on the container; merged per key.",
    )
    image: str = Field(
        default="flowyard-python:3.11",
        title="Image",
        description="Docker image to run the flow run in: built locally "
        "(`flow.deploy(image=...)`) or pulled from a registry.",
    )
    image_pull_policy: Literal["IfNotPresent", "Always", "Never"] = Field(
        default="IfNotPresent",
        title="Image Pull Policy",
        description="When to pull the image before creating the container.",
    )
    networks: list[str] = Field(
        default=[], title="Networks", description="Docker networks to connect the container to."
    )
    network_mode: str | None = Field(
        default=None,
        title="Network Mode",
        description="Docker network mode, e.g. 'host' or 'bridge'.",
    )
    auto_remove: bool = Field(
        default=False,
        title="Auto Remove",
        description="Remove the container once it has exited and been observed.",
    )
    volumes: list[str] = Field(
        default=[], title="Volumes", description="Volume mounts, e.g. '/host/data:/data:ro'."
    )
    stream_output: bool = Field(
        default=True,
        title="Stream Output",
        description="Copy the container's output to the worker's output.",
    )
    mem_limit: str | None = Field(
        default=None, title="Memory Limit", description="e.g. '512m' or '2g'."
    )
    memswap_limit: str | None = Field(
        default=None,
        title="Memory + Swap Limit",
        description="Total memory plus swap, e.g. '1g'; equal to mem_limit disables swap.",
    )
    privileged: bool = Field(
        default=False, title="Privileged", description="Give the container extended privileges."
    )
    registry_credentials: RegistryCredentialsVariables | None = Field(
        default=None,
        title="Registry Credentials",
        description="Log in to a private registry before pulling: registry_url, username and "
        "password_env (the worker's environment variable holding the password).",
    )
    container_start_timeout_seconds: float | None = Field(
        default=DEFAULT_START_TIMEOUT_SECONDS,
        gt=0,
        title="Container Start Timeout (seconds)",
        description="How long pulling the image, creating and starting the container may take "
        "until it runs; past it the container is removed and the run CRASHED. null: no limit.",
    )
    container_create_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        title="Container Create Arguments",
        description="Extra keyword arguments for the Docker SDK's containers.create(), "
        'e.g. {"shm_size": "1g"}.',
    )
