"""The docker worker type's job variables: the one source of its default base job template."""

from __future__ import annotations

from typing import Any, Literal

from flowyard.job import BaseVariables
from pydantic import Field


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
    container_create_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        title="Container Create Arguments",
        description="Extra keyword arguments for the Docker SDK's containers.create(), "
        'e.g. {"shm_size": "1g"}.',
    )
