"""The container-running core shared by every cloud fake: real containers on the local Docker engine.

A fake cloud API (Kubernetes, ECS, ...) turns its own objects (a pod, a task) into a
:class:`ContainerSpec` and hands it to a :class:`ContainerRunner`, which creates and starts the
container, waits for it, reads its logs, stops and removes it. There is no registry on the test
machines, so images are **never pulled**: an image missing from the local engine raises
:class:`ImageNotPresent`, which a fake turns into its own "cannot pull" state.

Containers reach a flowyard server on the host through ``host.docker.internal`` (an
``extra_hosts`` entry to the host gateway), as the docker worker type arranges, unless
``network_mode`` is ``host``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

HOST_ALIAS = "host.docker.internal"


class ImageNotPresent(Exception):
    """The image is not in the local Docker engine (the fakes never pull)."""

    def __init__(self, image: str) -> None:
        self.image = image
        super().__init__(f"image {image!r} is not present on the local Docker engine")


@dataclass(frozen=True)
class ContainerSpec:
    """What to run, in cloud-neutral terms.

    ``command`` replaces the image's ENTRYPOINT and ``args`` its CMD (Kubernetes semantics: a
    ``command`` without ``args`` runs with no arguments). ``memory_limit_bytes`` is a hard limit
    with swap disabled, so exceeding it gets the container OOM-killed.
    """

    name: str
    image: str
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    memory_limit_bytes: int | None = None
    network_mode: str | None = None


@dataclass(frozen=True)
class ContainerExit:
    """How a container ended: its exit code, whether the kernel OOM-killed it, the engine's error."""

    exit_code: int
    oom_killed: bool
    error: str | None


@dataclass(frozen=True)
class ContainerState:
    """A snapshot of a container: engine status (created/running/exited/...) and times (ISO-8601)."""

    status: str
    running: bool
    exit_code: int
    oom_killed: bool
    error: str | None
    started_at: str | None
    finished_at: str | None


def _docker_time(value: Any) -> str | None:
    if not value or str(value).startswith("0001-"):
        return None
    return str(value)


class ContainerRunner:
    """Creates, watches and removes containers on the local Docker engine (thread-safe calls)."""

    def __init__(self, client: Any = None) -> None:
        if client is None:
            import docker

            client = docker.from_env()
        self._client = client

    def image_present(self, image: str) -> bool:
        """Whether ``image`` is in the local engine."""
        from docker.errors import ImageNotFound

        try:
            self._client.images.get(image)
        except ImageNotFound:
            return False
        return True

    def start(self, spec: ContainerSpec) -> str:
        """Create and start the container; returns its id.

        :raises ImageNotPresent: the image is not in the local engine (nothing is pulled).
        """
        if not self.image_present(spec.image):
            raise ImageNotPresent(spec.image)
        kwargs: dict[str, Any] = {
            "image": spec.image,
            "name": spec.name,
            "environment": dict(spec.env),
            "labels": dict(spec.labels),
            "detach": True,
        }
        if spec.command is not None:
            kwargs["entrypoint"] = list(spec.command)
            kwargs["command"] = list(spec.args) if spec.args is not None else []
        elif spec.args is not None:
            kwargs["command"] = list(spec.args)
        if spec.memory_limit_bytes is not None:
            kwargs["mem_limit"] = spec.memory_limit_bytes
            kwargs["memswap_limit"] = spec.memory_limit_bytes
        if spec.network_mode:
            kwargs["network_mode"] = spec.network_mode
        if spec.network_mode != "host":
            kwargs["extra_hosts"] = {HOST_ALIAS: "host-gateway"}
        container = self._client.containers.create(**kwargs)
        try:
            container.start()
        except Exception:
            with contextlib.suppress(Exception):
                container.remove(force=True)
            raise
        return str(container.id)

    def wait(self, container_id: str, timeout: float | None = None) -> ContainerExit | None:
        """Block until the container exits (None when ``timeout`` seconds pass first)."""
        import requests

        container = self._client.containers.get(container_id)
        try:
            result = container.wait(timeout=timeout)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            return None
        state = self.state(container_id)
        code = int(result.get("StatusCode", state.exit_code))
        return ContainerExit(exit_code=code, oom_killed=state.oom_killed, error=state.error)

    def state(self, container_id: str) -> ContainerState:
        """The container's current state as the engine reports it."""
        attrs = self._client.api.inspect_container(container_id)
        raw = attrs.get("State", {})
        return ContainerState(
            status=str(raw.get("Status", "unknown")),
            running=bool(raw.get("Running")),
            exit_code=int(raw.get("ExitCode", -1)),
            oom_killed=bool(raw.get("OOMKilled")),
            error=raw.get("Error") or None,
            started_at=_docker_time(raw.get("StartedAt")),
            finished_at=_docker_time(raw.get("FinishedAt")),
        )

    def logs(self, container_id: str, follow: bool) -> Iterator[bytes]:
        """The container's output (stdout and stderr) in chunks; with ``follow`` until it exits."""
        container = self._client.containers.get(container_id)
        yield from container.logs(stream=True, follow=follow)

    def stop(self, container_id: str, grace_seconds: float) -> None:
        """SIGTERM, then SIGKILL after ``grace_seconds``; a vanished container is not an error."""
        from docker.errors import NotFound

        with contextlib.suppress(NotFound):
            self._client.containers.get(container_id).stop(timeout=max(0, int(grace_seconds)))

    def remove(self, container_id: str) -> None:
        """Force-remove the container; a vanished container (or one already being removed by
        another caller) is not an error."""
        from docker.errors import APIError, NotFound

        try:
            self._client.api.remove_container(container_id, force=True)
        except NotFound:
            return
        except APIError as exc:
            if exc.status_code == 409 and "in progress" in str(exc):
                return
            raise

    def exists(self, container_id: str) -> bool:
        """Whether the engine still knows this container."""
        from docker.errors import NotFound

        try:
            self._client.api.inspect_container(container_id)
        except NotFound:
            return False
        return True

    def ids_with_labels(self, labels: dict[str, str]) -> list[str]:
        """Ids of all containers (running or not) carrying every one of ``labels``."""
        wanted = [f"{k}={v}" for k, v in labels.items()]
        found = self._client.api.containers(all=True, filters={"label": wanted})
        return [str(item["Id"]) for item in found]
