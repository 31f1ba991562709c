"""The emulator's controllers: a Job controller and a kubelet that runs pods on the Docker engine."""

from __future__ import annotations

import base64
import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flowyard_fakes.containers import (
    HOST_ALIAS,
    ContainerExit,
    ContainerRunner,
    ContainerSpec,
    ImageNotPresent,
)
from flowyard_fakes.kubernetes.store import Obj, Store, now, random_suffix

NODE_NAME = "flowyard-fake-node"
PULL_RETRY_SECONDS = 1.0
RETRY_DELAY_SECONDS = 0.5


class ApiError(Exception):
    """An error the API answers with a ``Status`` object (``reason`` as the API server names it)."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}
        super().__init__(message)

    def status(self) -> Obj:
        """The ``v1.Status`` body."""
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def not_found(kind: str, name: str, group: str = "") -> ApiError:
    """The API server's 404 for ``kind`` (plural resource name) ``name``."""
    resource = f"{kind}.{group}" if group else kind
    details = {"name": name, "kind": kind, **({"group": group} if group else {})}
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', details)


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
    done: threading.Event = field(default_factory=threading.Event)


class Cluster:
    """Jobs, pods, secrets and events in a :class:`Store`, with controllers moving their status.

    One thread per pod plays the kubelet: it resolves the pod's env, starts its (single) container
    through :class:`ContainerRunner`, reports ``Running``, waits for the exit and reports
    ``Succeeded``/``Failed`` with the container's exit code and reason. The Job controller
    counts the pod, retries up to ``backoffLimit`` with a new pod, and sets the Job's
    conditions.
    """

    def __init__(self, store: Store, runner: ContainerRunner, instance: str) -> None:
        self.store = store
        self.runner = runner
        self.instance = instance
        self.namespaces: set[str] = {"default"}
        self._pods: dict[tuple[str, str], PodRun] = {}
        self._deleting_jobs: set[tuple[str, str]] = set()
        self._timers: list[threading.Timer] = []
        self._lock = threading.RLock()
        self._closed = False
        self.host_network = False  # run every pod in the host network (test convenience)

    # -- namespaces, secrets, events ------------------------------------------------------

    def check_namespace(self, namespace: str) -> None:
        """404 for a namespace the emulator does not have."""
        if namespace not in self.namespaces:
            raise not_found("namespaces", namespace)

    def create_secret(self, namespace: str, body: Obj) -> Obj:
        """Store a Secret (``stringData`` folded into base64 ``data``)."""
        self.check_namespace(namespace)
        meta = body.setdefault("metadata", {})
        name = meta.get("name") or (meta.get("generateName", "") + random_suffix())
        if self.store.exists("Secret", namespace, name):
            raise ApiError(409, "AlreadyExists", f'secrets "{name}" already exists')
        meta.update(name=name, namespace=namespace)
        data = dict(body.get("data") or {})
        for key, value in (body.pop("stringData", None) or {}).items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        body.update(kind="Secret", apiVersion="v1", data=data)
        return self.store.create("Secret", body)

    def record_event(
        self, involved: Obj, kind: str, reason: str, message: str, warning: bool
    ) -> None:
        """Create (or bump the count of) a ``v1.Event`` about ``involved``."""
        meta = involved["metadata"]
        namespace = meta["namespace"]
        existing, _ = self.store.select(
            "Event", namespace, field_selector=f"involvedObject.uid={meta['uid']},reason={reason}"
        )
        for event in existing:
            if event.get("message") == message:

                def bump(obj: Obj) -> None:
                    obj["count"] = int(obj.get("count", 1)) + 1
                    obj["lastTimestamp"] = now()

                self.store.update("Event", namespace, event["metadata"]["name"], bump)
                return
        stamp = now()
        component = "kubelet" if kind == "Pod" else "job-controller"
        self.store.create(
            "Event",
            {
                "kind": "Event",
                "apiVersion": "v1",
                "metadata": {
                    "name": f"{meta['name']}.{uuid.uuid4().hex[:16]}",
                    "namespace": namespace,
                },
                "involvedObject": {
                    "kind": kind,
                    "namespace": namespace,
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "apiVersion": "batch/v1" if kind == "Job" else "v1",
                },
                "reason": reason,
                "message": message,
                "type": "Warning" if warning else "Normal",
                "count": 1,
                "firstTimestamp": stamp,
                "lastTimestamp": stamp,
                "source": {"component": component},
                "reportingComponent": component,
            },
        )

    # -- jobs -----------------------------------------------------------------------------

    def create_job(self, namespace: str, job: Obj) -> Obj:
        """Store a validated Job (name from ``generateName``), default its spec and start a pod."""
        self.check_namespace(namespace)
        meta = job.setdefault("metadata", {})
        if meta.get("namespace") not in (None, namespace):
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
            )
        name = meta.get("name")
        if not name:
            prefix = meta.get("generateName")
            if not prefix:
                raise ApiError(
                    422,
                    "Invalid",
                    "Job.batch is invalid: metadata.name: Required value: name or generateName is required",
                )
            name = prefix + random_suffix()
            while self.store.exists("Job", namespace, name):
                name = prefix + random_suffix()
        elif self.store.exists("Job", namespace, name):
            raise ApiError(
                409,
                "AlreadyExists",
                f'jobs.batch "{name}" already exists',
                {"name": name, "group": "batch", "kind": "jobs"},
            )
        spec = job.setdefault("spec", {})
        template = spec.setdefault("template", {})
        pod_spec = template.setdefault("spec", {})
        if pod_spec.get("restartPolicy") not in ("Never", "OnFailure"):
            raise ApiError(
                422,
                "Invalid",
                f'Job.batch "{name}" is invalid: spec.template.spec.restartPolicy: Required value: '
                'valid values: "OnFailure", "Never"',
            )
        if not pod_spec.get("containers"):
            raise ApiError(
                422,
                "Invalid",
                f'Job.batch "{name}" is invalid: spec.template.spec.containers: Required value',
            )
        uid = str(uuid.uuid4())
        meta.update(name=name, namespace=namespace, uid=uid)
        meta.setdefault("labels", {})
        selector_labels = {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        }
        template.setdefault("metadata", {}).setdefault("labels", {}).update(selector_labels)
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completions", 1)
        spec.setdefault("parallelism", 1)
        pod_spec.setdefault("terminationGracePeriodSeconds", 30)
        job.update(kind="Job", apiVersion="batch/v1", status={})
        created = self.store.create("Job", job)
        self._start_pod(created)
        return created

    def _start_pod(self, job: Obj) -> None:
        meta = job["metadata"]
        namespace, job_name = meta["namespace"], meta["name"]
        with self._lock:
            if self._closed or (namespace, job_name) in self._deleting_jobs:
                return
        template = job["spec"]["template"]
        pod_name = f"{job_name}-{random_suffix()}"
        containers = template["spec"]["containers"]
        pod: Obj = {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "name": pod_name,
                "namespace": namespace,
                "labels": dict(template["metadata"]["labels"]),
                "annotations": dict(template["metadata"].get("annotations") or {}),
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": job_name,
                        "uid": meta["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": {**template["spec"], "nodeName": NODE_NAME},
            "status": {
                "phase": "Pending",
                "hostIP": "127.0.0.1",
                "conditions": [
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": now()}
                ],
                "containerStatuses": [
                    {
                        "name": c["name"],
                        "image": c.get("image", ""),
                        "imageID": "",
                        "ready": False,
                        "started": False,
                        "restartCount": 0,
                        "state": {"waiting": {"reason": "ContainerCreating"}},
                    }
                    for c in containers
                ],
                "qosClass": "BestEffort",
            },
        }
        created = self.store.create("Pod", pod)
        run = PodRun(namespace, pod_name, job_name)
        with self._lock:
            self._pods[(namespace, pod_name)] = run

        def start_job(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            status.setdefault("startTime", now())
            status["active"] = 1
            status["ready"] = 0

        self.store.update("Job", namespace, job_name, start_job)
        self.record_event(job, "Job", "SuccessfulCreate", f"Created pod: {pod_name}", warning=False)
        self.record_event(
            created,
            "Pod",
            "Scheduled",
            f"Successfully assigned {namespace}/{pod_name} to {NODE_NAME}",
            warning=False,
        )
        threading.Thread(
            target=self._kubelet, args=(run,), daemon=True, name=f"kubelet-{pod_name}"
        ).start()

    # -- kubelet ----------------------------------------------------------------------------

    def _set_container_state(self, run: PodRun, state: Obj, **extra: Any) -> Obj | None:
        def change(obj: Obj) -> None:
            status = obj["status"]
            status["containerStatuses"][0]["state"] = state
            status["containerStatuses"][0].update(extra)

        return self.store.update("Pod", run.namespace, run.name, change)

    def _resolve_env(
        self, namespace: str, container: Obj, pod: Obj, rewrite: bool
    ) -> dict[str, str]:
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            ref = source.get("secretRef")
            if ref:
                secret = self.store.get("Secret", namespace, ref["name"])
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
                secret = self.store.get("Secret", namespace, ref["name"])
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

    def _kubelet(self, run: PodRun) -> None:
        try:
            self._run_pod(run)
        finally:
            run.done.set()

    def _run_pod(self, run: PodRun) -> None:
        pod = self.store.get("Pod", run.namespace, run.name)
        if pod is None:
            return
        container = pod["spec"]["containers"][0]
        image = container.get("image") or ""
        pulled_once = False
        while True:
            if run.deleting or self._closed:
                return
            try:
                host_network = self.host_network or bool(pod["spec"].get("hostNetwork"))
                env = self._resolve_env(run.namespace, container, pod, rewrite=not host_network)
                limits = (container.get("resources") or {}).get("limits") or {}
                spec = ContainerSpec(
                    name=f"k8s_{container['name']}_{run.name}_{run.namespace}_{self.instance[:8]}",
                    image=image,
                    command=container.get("command"),
                    args=container.get("args"),
                    env=env,
                    labels={
                        "flowyard-fakes.kubernetes": self.instance,
                        "io.kubernetes.pod.name": run.name,
                        "io.kubernetes.pod.namespace": run.namespace,
                    },
                    memory_limit_bytes=_memory_bytes(limits.get("memory")),
                    network_mode="host" if host_network else None,
                )
                container_id = self.runner.start(spec)
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
            self.runner.stop(container_id, 0)
            self.runner.remove(container_id)
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

        self.store.update("Pod", run.namespace, run.name, running)
        for reason, message in (
            ("Pulled", f'Container image "{image}" already present on machine'),
            ("Created", f"Created container {container['name']}"),
            ("Started", f"Started container {container['name']}"),
        ):
            self.record_event(pod, "Pod", reason, message, warning=False)
        if run.job_name:
            self.store.update(
                "Job", run.namespace, run.job_name, lambda j: j["status"].update(ready=1)
            )
        result = self.runner.wait(container_id)
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
        self.record_event(pod, "Pod", event_reason, message, warning=True)

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
        phase = "Succeeded" if result.exit_code == 0 else "Failed"

        def change(obj: Obj) -> None:
            status = obj["status"]
            status["phase"] = phase
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

        self.store.update("Pod", run.namespace, run.name, change)
        if run.job_name:
            self._count(run.namespace, run.job_name, succeeded=phase == "Succeeded")

    # -- job controller -------------------------------------------------------------------

    def _count(self, namespace: str, job_name: str, succeeded: bool) -> None:
        job = self.store.get("Job", namespace, job_name)
        with self._lock:
            if job is None or (namespace, job_name) in self._deleting_jobs:
                return
        stamp = now()
        failed = int(job["status"].get("failed", 0)) + (0 if succeeded else 1)
        give_up = not succeeded and failed > int(job["spec"].get("backoffLimit", 6))

        def change(obj: Obj) -> None:
            status = obj["status"]
            status.pop("active", None)
            status["ready"] = 0
            if succeeded:
                status["succeeded"] = 1
                status["completionTime"] = stamp
                status["conditions"] = [
                    {
                        "type": kind,
                        "status": "True",
                        "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods",
                        "lastProbeTime": stamp,
                        "lastTransitionTime": stamp,
                    }
                    for kind in ("SuccessCriteriaMet", "Complete")
                ]
            else:
                status["failed"] = failed
                if give_up:
                    status["conditions"] = [
                        {
                            "type": kind,
                            "status": "True",
                            "reason": "BackoffLimitExceeded",
                            "message": "Job has reached the specified backoff limit",
                            "lastProbeTime": stamp,
                            "lastTransitionTime": stamp,
                        }
                        for kind in ("FailureTarget", "Failed")
                    ]

        updated = self.store.update("Job", namespace, job_name, change)
        if updated is None:
            return
        if succeeded:
            self.record_event(updated, "Job", "Completed", "Job completed", warning=False)
        elif give_up:
            self.record_event(
                updated,
                "Job",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                warning=True,
            )
        else:
            time.sleep(RETRY_DELAY_SECONDS)
            self._start_pod(updated)
            return
        ttl = updated["spec"].get("ttlSecondsAfterFinished")
        if ttl is not None:
            timer = threading.Timer(
                float(ttl), self.delete_job, args=(namespace, job_name, "Background", None)
            )
            timer.daemon = True
            timer.start()
            self._timers.append(timer)

    def job_pods(self, namespace: str, job_name: str) -> list[Obj]:
        """The Job's pods (by the ``job-name`` label)."""
        pods, _ = self.store.select("Pod", namespace, label_selector=f"job-name={job_name}")
        return pods

    def delete_job(
        self, namespace: str, name: str, propagation: str | None, grace_seconds: int | None
    ) -> Obj:
        """Delete a Job: ``Foreground`` (pods first, Job last), ``Background`` or ``Orphan``."""
        job = self.store.get("Job", namespace, name)
        if job is None:
            raise not_found("jobs", name, "batch")
        with self._lock:
            if (namespace, name) in self._deleting_jobs:
                return job
            self._deleting_jobs.add((namespace, name))
        policy = propagation or "Orphan"  # batch/v1 Jobs orphan their pods by default
        if policy == "Foreground":

            def mark(obj: Obj) -> None:
                obj["metadata"]["deletionTimestamp"] = now()
                obj["metadata"]["deletionGracePeriodSeconds"] = 0
                obj["metadata"]["finalizers"] = ["foregroundDeletion"]

            marked = self.store.update("Job", namespace, name, mark) or job

            def foreground() -> None:
                self._delete_pods(namespace, name, grace_seconds)
                self.store.delete("Job", namespace, name)

            threading.Thread(target=foreground, daemon=True).start()
            return marked
        self.store.delete("Job", namespace, name)
        if policy == "Background":
            threading.Thread(
                target=self._delete_pods, args=(namespace, name, grace_seconds), daemon=True
            ).start()
        else:
            for pod in self.job_pods(namespace, name):
                self.store.update(
                    "Pod",
                    namespace,
                    pod["metadata"]["name"],
                    lambda p: p["metadata"].pop("ownerReferences", None),
                )
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {
                "name": name,
                "group": "batch",
                "kind": "jobs",
                "uid": job["metadata"]["uid"],
            },
        }

    def _delete_pods(self, namespace: str, job_name: str, grace_seconds: int | None) -> None:
        threads = [
            threading.Thread(
                target=self.delete_pod,
                args=(namespace, pod["metadata"]["name"], grace_seconds),
                daemon=True,
            )
            for pod in self.job_pods(namespace, job_name)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def delete_pod(self, namespace: str, name: str, grace_seconds: int | None) -> Obj:
        """Gracefully delete a pod: mark it, stop its container (SIGTERM, SIGKILL after grace), remove."""
        pod = self.store.get("Pod", namespace, name)
        if pod is None:
            raise not_found("pods", name)
        grace = (
            grace_seconds
            if grace_seconds is not None
            else int(pod["spec"].get("terminationGracePeriodSeconds", 30))
        )
        with self._lock:
            run = self._pods.get((namespace, name))
            if run is not None:
                run.deleting = True

        def mark(obj: Obj) -> None:
            obj["metadata"]["deletionTimestamp"] = now()
            obj["metadata"]["deletionGracePeriodSeconds"] = grace

        marked = self.store.update("Pod", namespace, name, mark) or pod
        if run is not None and run.container_id:
            self.runner.stop(run.container_id, grace)
            self.runner.remove(run.container_id)
        self.store.delete("Pod", namespace, name)
        with self._lock:
            self._pods.pop((namespace, name), None)
        return marked

    def pod_run(self, namespace: str, name: str) -> PodRun | None:
        """The kubelet's record of a pod (None when unknown)."""
        with self._lock:
            return self._pods.get((namespace, name))

    def shutdown(self) -> None:
        """Stop every controller and remove every container this emulator started."""
        with self._lock:
            self._closed = True
            runs = list(self._pods.values())
        for timer in self._timers:
            timer.cancel()
        for run in runs:
            run.deleting = True
        for container_id in self.runner.ids_with_labels(
            {"flowyard-fakes.kubernetes": self.instance}
        ):
            with contextlib.suppress(Exception):
                self.runner.remove(container_id)
