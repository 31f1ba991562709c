"""Create, start, watch and stop flow-run containers with the Docker SDK."""

from __future__ import annotations

import contextlib
import sys
import threading
from dataclasses import dataclass
from typing import Any

from flowyard.errors import InfrastructureNotAvailable, InfrastructureNotFound
from flowyard.job import ExitStatus, FlowRunInfo, Submission

from flowyard_docker.job import HOST_ALIAS, DockerJob


@dataclass(frozen=True)
class ContainerHandle:
    """What this worker keeps of a started container to observe it: never leaves the process."""

    container: Any
    """The Docker SDK's ``Container`` (the SDK is untyped)."""
    log_pump: threading.Thread | None
    """The thread copying the container's output to the worker's (None: ``stream_output`` off)."""


def client() -> Any:
    """A Docker client from the environment (``DOCKER_HOST`` or the local socket)."""
    import docker
    from docker.errors import DockerException

    try:
        return docker.from_env()
    except DockerException as exc:
        raise InfrastructureNotAvailable(
            f"Cannot reach a Docker engine ({exc}). Start dockerd or set DOCKER_HOST."
        ) from exc


def _ensure_image(docker_client: Any, job: DockerJob) -> None:
    from docker.errors import ImageNotFound

    if job.image_pull_policy == "Always":
        docker_client.images.pull(job.image)
        return
    try:
        docker_client.images.get(job.image)
    except ImageNotFound:
        if job.image_pull_policy == "Never":
            raise ValueError(
                f"image: {job.image!r} is not on this Docker engine and image_pull_policy is Never; "
                "build it (flow.deploy(image=...)) or allow pulling."
            ) from None
        docker_client.images.pull(job.image)


def create_and_start(job: DockerJob, flow_run: FlowRunInfo) -> Submission[ContainerHandle]:
    """Create the container (attached to ``networks``) and start it; the id is the container id."""
    docker_client = client()
    _ensure_image(docker_client, job)
    kwargs: dict[str, Any] = {
        "image": job.image,
        "command": job.argv(),
        "environment": job.environment(),
        "labels": job.labels,
        "name": job.container_name(),
        "detach": True,
        "privileged": job.privileged,
        "volumes": job.volume_map() or None,
    }
    if job.network_mode:
        kwargs["network_mode"] = job.network_mode
    elif job.networks:
        kwargs["network"] = job.networks[0]
    if job.network_mode != "host":
        kwargs["extra_hosts"] = {HOST_ALIAS: "host-gateway"}
    if job.mem_limit:
        kwargs["mem_limit"] = job.mem_limit
    if job.memswap_limit:
        kwargs["memswap_limit"] = job.memswap_limit
    kwargs.update(job.container_create_kwargs)
    container = docker_client.containers.create(
        **{k: v for k, v in kwargs.items() if v is not None}
    )
    try:
        for network in job.networks[1:] if not job.network_mode else []:
            docker_client.networks.get(network).connect(container)
        container.start()
    except Exception:
        container.remove(force=True)
        raise
    pump = _pump_logs(container) if job.stream_output else None
    return Submission(
        infrastructure_id=container.id,
        handle=ContainerHandle(container, pump),
        details={"container_name": container.name, "image": job.image},
    )


def _pump_logs(container: Any) -> threading.Thread:
    def copy() -> None:
        try:
            for chunk in container.logs(stream=True, follow=True):
                sys.stdout.write(chunk.decode(errors="replace"))
                sys.stdout.flush()
        except Exception:  # the container went away mid-stream: nothing more to copy
            return

    thread = threading.Thread(target=copy, daemon=True, name="flowyard-docker-logs")
    thread.start()
    return thread


def explain(code: int, oom_killed: bool, mem_limit: str | None) -> str | None:
    """A sentence for how the container ended (None for a clean exit)."""
    if oom_killed:
        limit = f" (mem_limit {mem_limit})" if mem_limit else ""
        return f"The container was killed for running out of memory (OOMKilled{limit}); exit code {code}. Raise mem_limit."
    if code == 0:
        return None
    if code == 137:
        return "The container was killed (SIGKILL, exit code 137)."
    if code == 143:
        return "The container was terminated (SIGTERM, exit code 143)."
    if code == 127:
        return "The container's command was not found (exit code 127)."
    return f"The container exited with code {code}."


def wait(job: DockerJob, submission: Submission[ContainerHandle]) -> ExitStatus:
    """Block until the container exits; report OOM kills; remove it when ``auto_remove``."""
    from docker.errors import NotFound

    handle = submission.handle
    if not isinstance(handle, ContainerHandle):
        raise TypeError(
            f"submission {submission.infrastructure_id[:12]!r} has no container handle: only the "
            "worker that started a container can observe it"
        )
    container, pump = handle.container, handle.log_pump
    try:
        result = container.wait()
        code = int(result.get("StatusCode", -1))
        container.reload()
        oom = bool(container.attrs.get("State", {}).get("OOMKilled"))
    except NotFound:
        return ExitStatus(
            code=-1,
            reason="The container disappeared before it could be observed (removed from outside).",
        )
    if pump is not None:
        pump.join(timeout=5)
    if job.auto_remove:
        with contextlib.suppress(NotFound):
            container.remove(force=True)
    return ExitStatus(code=code, reason=explain(code, oom, job.mem_limit))


def stop_and_remove(container_id: str, grace_seconds: float) -> None:
    """Stop (SIGTERM, then SIGKILL after the grace period) and remove the container."""
    from docker.errors import NotFound

    docker_client = client()
    try:
        container = docker_client.containers.get(container_id)
    except NotFound as exc:
        raise InfrastructureNotFound(f"Container {container_id[:12]} no longer exists.") from exc
    try:
        container.stop(timeout=max(1, int(grace_seconds)))
        container.remove(force=True)
    except NotFound:
        return
