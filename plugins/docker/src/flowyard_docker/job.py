"""The docker worker type's typed container spec."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from flowyard.job import BaseJobConfiguration
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from flowyard_docker.variables import DEFAULT_START_TIMEOUT_SECONDS

ENGINE_COMMAND = ["python", "-m", "flowyard.engine"]
HOST_ALIAS = "host.docker.internal"
_NAME = re.compile(r"[^a-zA-Z0-9_.-]+")


_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


def image_registry(image: str) -> str:
    """The registry an image reference pulls from (``docker.io`` when it names none)."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return "docker.io" if first.lower() in _DOCKER_HUB else first.lower()
    return "docker.io"


class RegistryCredentials(BaseModel):
    """A private registry login. ``password`` is filled on the worker from ``password_env``.

    The password is a :class:`~pydantic.SecretStr`: ``repr``, ``str`` and ``model_dump`` show
    ``**********``; only :meth:`auth_config` reveals it, to hand it to the Docker engine.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    registry_url: str = Field(min_length=1)
    username: str = Field(min_length=1)
    password_env: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _password_source(self) -> RegistryCredentials:
        if self.password is None and not self.password_env:
            raise ValueError(
                "registry_credentials needs password_env: the name of an environment variable "
                "on the worker that holds the registry password"
            )
        return self

    def resolved(self, environ: Mapping[str, str] | None = None) -> RegistryCredentials:
        """These credentials with ``password`` read from ``password_env`` in the worker's env.

        :raises ValueError: the variable is not set, naming it, the registry and the fix.
        """
        if self.password is not None:
            return self
        source = os.environ if environ is None else environ
        name = self.password_env or ""
        value = source.get(name)
        if not value:
            raise ValueError(
                f"registry_credentials.password_env: the environment variable {name!r} is not set "
                f"on this worker; set it to the password of {self.username!r} at registry "
                f"{self.registry_url!r} before starting the worker"
            )
        return self.model_copy(update={"password": SecretStr(value)})

    def registry_host(self) -> str:
        """``registry_url`` without scheme, path or slashes; Docker Hub's aliases are ``docker.io``."""
        host = re.sub(r"^[a-z]+://", "", self.registry_url.strip()).split("/", 1)[0].lower()
        return "docker.io" if host in _DOCKER_HUB else host

    def check_image(self, image: str) -> None:
        """Refuse to hand these credentials to another registry than ``image``'s.

        :raises ValueError: naming both registries.
        """
        if image_registry(image) != self.registry_host():
            raise ValueError(
                f"registry_credentials.registry_url {self.registry_url!r} is not the registry of "
                f"image {image!r} ({image_registry(image)!r}); the credentials are only sent to "
                "their own registry. Fix registry_url or the image name."
            )

    def auth_config(self) -> dict[str, str]:
        """The Docker SDK's ``auth_config`` (clear password: only ever passed to the engine)."""
        if self.password is None:
            raise ValueError("registry_credentials: the password was not resolved on the worker")
        return {"username": self.username, "password": self.password.get_secret_value()}


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
    registry_credentials: RegistryCredentials | None = None
    container_start_timeout_seconds: float | None = Field(
        default=DEFAULT_START_TIMEOUT_SECONDS, gt=0
    )
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


def validated(configuration: Mapping[str, Any]) -> DockerJob:
    """``configuration`` as a :class:`DockerJob`.

    :raises ValueError: each bad field with pydantic's message but never the input value (a
        rendered configuration may carry a registry password).
    """
    try:
        return DockerJob.model_validate(configuration)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'job'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise ValueError(f"Invalid docker job configuration: {problems}") from None


def container_api_url(url: str) -> str:
    """``http://127.0.0.1:4200/api`` → ``http://host.docker.internal:4200/api`` (other URLs unchanged)."""
    parts = urlsplit(url)
    if parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return url
    netloc = HOST_ALIAS + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
