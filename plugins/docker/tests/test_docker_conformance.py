"""The docker worker type passes flowyard's worker-type conformance kit on a real Docker engine.

Containers run an image with this checkout's flowyard inside (``docker_env.flowyard_image``,
built locally: there is no registry here) and use the host network to reach the loopback server.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import docker
import pytest
from docker.errors import NotFound
from docker_env import engine_or_skip, flowyard_image
from flowyard.testing.conformance import InfrastructureView, WorkerTypeConformance
from flowyard_docker.job import DockerJob

pytestmark = pytest.mark.docker
PASSWORD_ENV = "FLOWYARD_CONFORMANCE_REGISTRY_PASSWORD"


@functools.cache
def _image() -> str:
    return flowyard_image()


class TestDockerConformance(WorkerTypeConformance):
    worker_type = "docker"
    job_model = DockerJob
    not_supported = {}

    @pytest.fixture(autouse=True)
    def _engine(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        """Every check needs the engine (kill and inspect talk to it); remove the kit's containers.

        The override of ``registry_credentials`` names a password variable set here, as on a worker.
        """
        engine_or_skip()
        monkeypatch.setenv(PASSWORD_ENV, "conformance-password")
        yield
        engine = docker.from_env()
        for container in engine.containers.list(
            all=True, filters={"label": "flowyard.worker-name=conformance-worker"}
        ):
            container.remove(force=True)

    def job_variables(self) -> dict[str, Any]:
        """The locally built flowyard image, never pulled, on the host network."""
        return {"image": _image(), "image_pull_policy": "Never", "network_mode": "host"}

    def override_values(self) -> dict[str, Any]:
        """Volumes must look like ``host:container[:mode]``; credentials name a set variable."""
        return {
            "volumes": ["/tmp:/flowyard-conformance:ro"],
            "registry_credentials": {
                "registry_url": "registry.example.com",
                "username": "conformance",
                "password_env": PASSWORD_ENV,
            },
        }

    def inspect_infrastructure(self, infrastructure_id: str) -> InfrastructureView:
        """The container's labels, env and state (a removed container is not running)."""
        try:
            attrs = docker.from_env().containers.get(infrastructure_id).attrs
        except NotFound:
            return InfrastructureView(running=False)
        env = dict(item.split("=", 1) for item in attrs["Config"].get("Env") or [] if "=" in item)
        return InfrastructureView(
            running=bool(attrs["State"]["Running"]),
            labels=dict(attrs["Config"].get("Labels") or {}),
            env=env,
        )
