"""Create, start, watch and stop flow-run containers with the Docker SDK."""

from __future__ import annotations

import contextlib
import math
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flowyard.errors import InfrastructureNotAvailable, InfrastructureNotFound
from flowyard.job import ExitStatus, FlowRunInfo, Submission

from flowyard_docker.job import HOST_ALIAS, DockerJob, RegistryCredentials


@dataclass(frozen=True)
class ContainerHandle:
    """What this worker keeps of a started container to observe it: never leaves the process."""

    container: Any
    """The Docker SDK's ``Container`` (the SDK is untyped)."""
    log_pump: threading.Thread | None
    """The thread copying the container's output to the worker's (None: ``stream_output`` off)."""


class ContainerStartTimeout(Exception):
    """Pulling, creating or starting the container took longer than its start timeout."""


class RegistryLoginFailed(Exception):
    """The registry refused the worker's login (the message names the registry, never the password)."""


def client(timeout: float | None = None) -> Any:
    """A Docker client from the environment (``DOCKER_HOST`` or the local socket).

    ``timeout`` bounds each read from the engine (the SDK's default, 60 s, when None).
    """
    import docker
    from docker.errors import DockerException

    try:
        if timeout is None:
            return docker.from_env()
        return docker.from_env(timeout=max(1, math.ceil(timeout)))
    except DockerException as exc:
        raise InfrastructureNotAvailable(
            f"Cannot reach a Docker engine ({exc}). Start dockerd or set DOCKER_HOST."
        ) from exc


@dataclass
class _Starting:
    """What the thread starting a container shares with the submitting thread that waits for it."""

    run_id: str = ""
    """The flow run's id (a container name already in use gets its first 8 characters)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    phase: str = "connecting to the Docker engine"
    container: Any = None
    abandoned: bool = False
    error: BaseException | None = None

    def keep(self, container: Any) -> bool:
        """Record the created container; False when the submitter already gave up on it."""
        with self.lock:
            if self.abandoned:
                return False
            self.container = container
            return True

    def abandon(self) -> Any:
        """Give up (the timeout passed); returns the container created so far, if any."""
        with self.lock:
            self.abandoned = True
            return self.container


def _remove(container: Any) -> None:
    from docker.errors import DockerException

    with contextlib.suppress(DockerException):
        container.remove(force=True)


def _login(docker_client: Any, credentials: RegistryCredentials) -> None:
    """Log in to the private registry; a refusal names the registry and user, never the password."""
    from docker.errors import APIError

    auth = credentials.auth_config()
    try:
        docker_client.login(
            username=auth["username"],
            password=auth["password"],
            registry=credentials.registry_url,
            reauth=True,
        )
    except APIError as exc:
        reason = str(exc.explanation or exc).replace(auth["password"], "**********")
        raise RegistryLoginFailed(
            f"Logging in to registry {credentials.registry_url!r} as {credentials.username!r} "
            f"failed: {reason}. Check registry_credentials and the password in the worker's "
            f"environment variable {credentials.password_env!r}."
        ) from None


def _pull(docker_client: Any, job: DockerJob, state: _Starting) -> None:
    credentials = job.registry_credentials
    if credentials is not None:
        credentials.check_image(job.image)
        state.phase = f"logging in to registry {credentials.registry_url!r}"
        _login(docker_client, credentials)
    state.phase = f"pulling image {job.image!r}"
    auth = credentials.auth_config() if credentials is not None else None
    docker_client.images.pull(job.image, auth_config=auth)


def _ensure_image(docker_client: Any, job: DockerJob, state: _Starting) -> None:
    from docker.errors import ImageNotFound

    if job.image_pull_policy == "Always":
        _pull(docker_client, job, state)
        return
    state.phase = f"looking up image {job.image!r}"
    try:
        docker_client.images.get(job.image)
    except ImageNotFound:
        if job.image_pull_policy == "Never":
            raise ValueError(
                f"image: {job.image!r} is not on this Docker engine and image_pull_policy is Never; "
                "build it (flow.deploy(image=...)) or allow pulling."
            ) from None
        _pull(docker_client, job, state)


def _create_kwargs(job: DockerJob) -> dict[str, Any]:
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
    return {k: v for k, v in kwargs.items() if v is not None}


def _create(docker_client: Any, job: DockerJob, run_id: str) -> Any:
    """Create the container. Run names are not unique: when another container already has this
    one's name (Docker answers 409), the name gets the run id's first 8 characters and the create
    is tried once more."""
    from docker.errors import APIError

    kwargs = _create_kwargs(job)
    try:
        return docker_client.containers.create(**kwargs)
    except APIError as exc:
        if exc.status_code != 409 or "name" not in kwargs or not run_id:
            raise
        kwargs["name"] = f"{kwargs['name'][:100]}-{run_id[:8]}"
        return docker_client.containers.create(**kwargs)


def _start(job: DockerJob, state: _Starting) -> None:
    """Pull (if needed), create, connect, start; then wait until the container left ``created``."""
    docker_client = client(job.container_start_timeout_seconds)
    _ensure_image(docker_client, job, state)
    state.phase = "creating the container"
    container = _create(docker_client, job, state.run_id)
    if not state.keep(container):
        _remove(container)
        return
    try:
        for network in job.networks[1:] if not job.network_mode else []:
            docker_client.networks.get(network).connect(container)
        state.phase = "starting the container"
        container.start()
        state.phase = "waiting for the container to be running"
        container.reload()
        while container.status == "created" and not state.abandoned:
            time.sleep(0.2)
            container.reload()
    except Exception:
        _remove(container)
        raise


def _start_in_thread(job: DockerJob, state: _Starting) -> None:
    try:
        _start(job, state)
    except BaseException as exc:  # handed to the submitting thread
        state.error = exc


def create_and_start(job: DockerJob, flow_run: FlowRunInfo) -> Submission[ContainerHandle]:
    """Pull the image if needed, create the container (attached to ``networks``) and start it.

    Everything until the container runs is bounded by ``container_start_timeout_seconds``; past
    it the container (if created) is removed and :class:`ContainerStartTimeout` says which step
    timed out. The submission's id is the container id.
    """
    timeout = job.container_start_timeout_seconds
    state = _Starting(run_id=flow_run.id)
    starter = threading.Thread(
        target=_start_in_thread, args=(job, state), daemon=True, name="flowyard-docker-start"
    )
    starter.start()
    starter.join(timeout)
    if starter.is_alive():
        phase = state.phase
        leftover = state.abandon()
        if leftover is not None:
            _remove(leftover)
        raise ContainerStartTimeout(
            f"The container did not start within container_start_timeout_seconds ({timeout:g} s): "
            f"{phase} timed out. Check that the image's registry answers, or raise the timeout."
        )
    if state.error is not None:
        raise state.error
    container = state.container
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


def find(container_id: str, job: DockerJob) -> Submission[ContainerHandle]:
    """The submission of a container started earlier (by a worker since restarted), from its id.

    ``wait`` accepts it like a fresh one; with ``stream_output`` its output is copied again from
    the start. A container that has already exited is found too (``wait`` reports its code).

    :raises InfrastructureNotFound: no such container (any more).
    """
    from docker.errors import NotFound

    try:
        container = client().containers.get(container_id)
    except NotFound as exc:
        raise InfrastructureNotFound(f"Container {container_id[:12]} no longer exists.") from exc
    pump = _pump_logs(container) if job.stream_output else None
    return Submission(
        infrastructure_id=container.id,
        handle=ContainerHandle(container, pump),
        details={"container_name": container.name, "image": job.image},
    )


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
