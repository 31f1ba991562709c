"""The docker worker type's typed container spec."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from flowyard.job import BaseJobConfiguration
from pydantic import Field, field_validator

ENGINE_COMMAND = ["python", "-m", "flowyard.engine"]
HOST_ALIAS = "host.docker.internal"
_NAME = re.compile(r"[^a-zA-Z0-9_.-]+")


class DockerJob(BaseJobConfiguration):
    """A rendered docker job: everything needed to create one container."""

    image: str = "flowyard-python:3.11"
    image_pull_policy: Literal["IfNotPresent", "Always", "Never"] = "IfNotPresent"
    networks: list[str] = Field(default_factory=list)
    network_mode: str | None = None
    auto_remove: bool = False
    volumes: list[str] = Field(default_factory=list)
    stream_output: bool = True
    mem_limit: str | None = None
    memswap_limit: str | None = None
    privileged: bool = False
    container_create_kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("image")
    @classmethod
    def _image_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("image must name a Docker image, e.g. 'my-flows:1'")
        return value

    @field_validator("volumes")
    @classmethod
    def _volume_shape(cls, value: list[str]) -> list[str]:
        for item in value:
            if ":" not in item:
                raise ValueError(
                    f"volume {item!r} must look like '/host/path:/container/path[:ro]'"
                )
        return value

    def argv(self) -> list[str]:
        """The container's command (default: the flowyard engine)."""
        return self.command_argv() or list(ENGINE_COMMAND)

    def container_name(self) -> str | None:
        """A Docker-safe container name from ``name`` (Docker picks one when None)."""
        if not self.name:
            return None
        cleaned = _NAME.sub("-", self.name).strip("-.")
        return cleaned or None

    def environment(self) -> dict[str, str]:
        """Env for the container: ``None`` values are dropped; a loopback API URL is made reachable."""
        env = {k: v for k, v in self.env.items() if v is not None}
        if self.network_mode != "host" and "FLOWYARD_API_URL" in env:
            env["FLOWYARD_API_URL"] = container_api_url(env["FLOWYARD_API_URL"])
        return env

    def volume_map(self) -> dict[str, dict[str, str]]:
        """``volumes`` in the Docker SDK's ``{host: {"bind": ..., "mode": ...}}`` form."""
        mounts: dict[str, dict[str, str]] = {}
        for item in self.volumes:
            parts = item.split(":")
            host, bind = parts[0], parts[1]
            mode = parts[2] if len(parts) > 2 else "rw"
            mounts[host] = {"bind": bind, "mode": mode}
        return mounts


def container_api_url(url: str) -> str:
    """``http://127.0.0.1:4200/api`` → ``http://host.docker.internal:4200/api`` (other URLs unchanged)."""
    parts = urlsplit(url)
    if parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return url
    netloc = HOST_ALIAS + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
