"""The emulator's kubelet: runs each pod's container on the Docker engine and reports its status."""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flowyard_fakes.containers import HOST_ALIAS, ContainerExit, ContainerSpec, ImageNotPresent
from flowyard_fakes.kubernetes.errors import ApiError
from flowyard_fakes.kubernetes.store import Obj, now

if TYPE_CHECKING:
    from flowyard_fakes.kubernetes.cluster import Cluster

NODE_NAME = "flowyard-fake-node"
PULL_RETRY_SECONDS = 1.0


def _loopback_to_host(value: str) -> str:
    """``http://127.0.0.1:4200/api`` → ``http://host.docker.internal:4200/api`` (pods reach the host)."""
    if "://" not in value:
        return value
    parts = urlsplit(value)
    if parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return value
    netloc = HOST_ALIAS + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _memory_bytes(quantity: Any) -> int | None:
    if quantity in (None, ""):
        return None
    from kubernetes.utils import parse_quantity

    return int(parse_quantity(str(quantity)))


@dataclass
class PodRun:
    """The kubelet's record of one pod: its container and whether it is being deleted."""

    namespace: str
    name: str
    job_name: str | None
    container_id: str | None = None
    waiting_reason: str = "ContainerCreating"
    deleting: bool = False
    evicted: str | None = None  # the eviction message, once evicted
    done: threading.Event = field(default_factory=threading.Event)


class Kubelet:
    """One thread per pod: resolve env, start the container (or wait with ``ErrImagePull`` /
    ``ImagePullBackOff`` / ``CreateContainerConfigError``), report ``Running``, wait for the exit,
    report ``Succeeded``/``Failed`` with exit code and reason, and tell the Job controller."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def _set_container_state(self, run: PodRun, state: Obj, **extra: Any) -> Obj | None:
        def change(obj: Obj) -> None:
            status = obj["status"]
            status["containerStatuses"][0]["state"] = state
            status["containerStatuses"][0].update(extra)

        return self.cluster.store.update("Pod", run.namespace, run.name, change)

    def _resolve_env(
        self, namespace: str, container: Obj, pod: Obj, rewrite: bool
    ) -> dict[str, str]:
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            ref = source.get("secretRef")
            if ref:
                secret = self.cluster.store.get("Secret", namespace, ref["name"])
                if secret is None:
                    raise ApiError(
                        400, "CreateContainerConfigError", f'secret "{ref["name"]}" not found'
                    )
                for key, value in (secret.get("data") or {}).items():
                    env[key] = base64.b64decode(value).decode()
        for item in container.get("env") or []:
            name = item["name"]
            if "valueFrom" not in item or item["valueFrom"] is None:
                value = str(item.get("value") or "")
                env[name] = _loopback_to_host(value) if rewrite else value
                continue
            source = item["valueFrom"]
            if source.get("secretKeyRef"):
                ref = source["secretKeyRef"]
                secret = self.cluster.store.get("Secret", namespace, ref["name"])
                if secret is None:
                    raise ApiError(
                        400, "CreateContainerConfigError", f'secret "{ref["name"]}" not found'
                    )
                data = secret.get("data") or {}
                if ref["key"] not in data:
                    raise ApiError(
                        400,
                        "CreateContainerConfigError",
                        f"couldn't find key {ref['key']} in Secret {namespace}/{ref['name']}",
                    )
                env[name] = base64.b64decode(data[ref["key"]]).decode()
            elif source.get("fieldRef"):
                path = source["fieldRef"]["fieldPath"]
                values = {
                    "metadata.name": pod["metadata"]["name"],
                    "metadata.namespace": namespace,
                    "metadata.uid": pod["metadata"]["uid"],
                    "spec.nodeName": NODE_NAME,
                }
                env[name] = values.get(path, "")
            else:
                raise ApiError(
                    400,
                    "CreateContainerConfigError",
                    f"env {name}: only secretKeyRef and fieldRef are modelled",
                )
        return env

    def run(self, run: PodRun) -> None:
        """Play the kubelet for one pod until it ends or is deleted (runs in its own thread)."""
        try:
            self._run_pod(run)
        finally:
            run.done.set()

    def _run_pod(self, run: PodRun) -> None:
        pod = self.cluster.store.get("Pod", run.namespace, run.name)
        if pod is None:
            return
        container = pod["spec"]["containers"][0]
        image = container.get("image") or ""
        pulled_once = False
        while True:
            if run.deleting or self.cluster.closed:
                return
            try:
                host_network = self.cluster.host_network or bool(pod["spec"].get("hostNetwork"))
                env = self._resolve_env(run.namespace, container, pod, rewrite=not host_network)
                limits = (container.get("resources") or {}).get("limits") or {}
                spec = ContainerSpec(
                    name=f"k8s_{container['name']}_{run.name}_{run.namespace}_{self.cluster.instance[:8]}",
                    image=image,
                    command=container.get("command"),
                    args=container.get("args"),
                    env=env,
                    labels={
                        "flowyard-fakes.kubernetes": self.cluster.instance,
                        "io.kubernetes.pod.name": run.name,
                        "io.kubernetes.pod.namespace": run.namespace,
                    },
                    memory_limit_bytes=_memory_bytes(limits.get("memory")),
                    network_mode="host" if host_network else None,
                )
                container_id = self.cluster.runner.start(spec)
            except ApiError as exc:
                self._waiting(run, pod, exc.reason, exc.message)
                time.sleep(PULL_RETRY_SECONDS)
                continue
            except ImageNotPresent:
                message = (
                    f'Failed to pull image "{image}": rpc error: code = NotFound desc = '
                    f"failed to pull and unpack image: {image}: not found"
                )
                reason = "ImagePullBackOff" if pulled_once else "ErrImagePull"
                if pulled_once:
                    message = f'Back-off pulling image "{image}"'
                self._waiting(
                    run, pod, reason, message, event_reason="BackOff" if pulled_once else "Failed"
                )
                pulled_once = True
                time.sleep(PULL_RETRY_SECONDS)
                continue
            except Exception as exc:  # the engine refused the container (bad command, ...)
                self._finish(
                    run, ContainerExit(exit_code=128, oom_killed=False, error=str(exc)), None
                )
                return
            break
        run.container_id = container_id
        if run.deleting:
            self.cluster.runner.stop(container_id, 0)
            self.cluster.runner.remove(container_id)
            return
        started = now()

        def running(obj: Obj) -> None:
            status = obj["status"]
            status.update(
                phase="Running", startTime=status.get("startTime") or started, podIP="127.0.0.1"
            )
            status["conditions"] = [
                {"type": t, "status": "True", "lastTransitionTime": started}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ]
            status["containerStatuses"][0].update(
                state={"running": {"startedAt": started}},
                ready=True,
                started=True,
                containerID=f"docker://{container_id}",
            )

        self.cluster.store.update("Pod", run.namespace, run.name, running)
        for reason, message in (
            ("Pulled", f'Container image "{image}" already present on machine'),
            ("Created", f"Created container {container['name']}"),
            ("Started", f"Started container {container['name']}"),
        ):
            self.cluster.record_event(pod, "Pod", reason, message, warning=False)
        if run.job_name:
            self.cluster.store.update(
                "Job", run.namespace, run.job_name, lambda j: j["status"].update(ready=1)
            )
        result = self.cluster.runner.wait(container_id)
        if result is None or run.deleting:
            return
        self._finish(run, result, started)

    def _waiting(
        self, run: PodRun, pod: Obj, reason: str, message: str, event_reason: str = "Failed"
    ) -> None:
        changed = run.waiting_reason != reason
        run.waiting_reason = reason
        if changed:
            self._set_container_state(run, {"waiting": {"reason": reason, "message": message}})
        self.cluster.record_event(pod, "Pod", event_reason, message, warning=True)

    def _finish(self, run: PodRun, result: ContainerExit, started: str | None) -> None:
        finished = now()
        if result.oom_killed:
            reason = "OOMKilled"
        elif result.exit_code == 0:
            reason = "Completed"
        elif result.error:
            reason = "ContainerCannotRun"
        else:
            reason = "Error"
        terminated: Obj = {
            "exitCode": result.exit_code,
            "reason": reason,
            "startedAt": started or finished,
            "finishedAt": finished,
        }
        if result.error:
            terminated["message"] = result.error
        if run.container_id:
            terminated["containerID"] = f"docker://{run.container_id}"
        phase = "Succeeded" if result.exit_code == 0 and run.evicted is None else "Failed"

        def change(obj: Obj) -> None:
            status = obj["status"]
            status["phase"] = phase
            if run.evicted is not None:
                status.update(reason="Evicted", message=run.evicted)
            status["conditions"] = [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "PodCompleted",
                    "lastTransitionTime": finished,
                }
            ]
            status["containerStatuses"][0].update(
                state={"terminated": terminated}, ready=False, started=False
            )

        self.cluster.store.update("Pod", run.namespace, run.name, change)
        if run.job_name:
            self.cluster.pod_ended(run.namespace, run.job_name, succeeded=phase == "Succeeded")
