"""The emulator's cluster state and Job controller: Jobs, pods, secrets, events, deletion.

Pods are run by :class:`flowyard_fakes.kubernetes.kubelet.Kubelet`, one thread per pod.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
import uuid

from flowyard_fakes.containers import ContainerRunner
from flowyard_fakes.kubernetes.errors import ApiError, not_found
from flowyard_fakes.kubernetes.kubelet import NODE_NAME, Kubelet, PodRun
from flowyard_fakes.kubernetes.store import Obj, Store, now, random_suffix

RETRY_DELAY_SECONDS = 0.5


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
        self.closed = False
        self.kubelet = Kubelet(self)
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
            if self.closed or (namespace, job_name) in self._deleting_jobs:
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
            target=self.kubelet.run, args=(run,), daemon=True, name=f"kubelet-{pod_name}"
        ).start()

    # -- job controller -------------------------------------------------------------------

    def pod_ended(self, namespace: str, job_name: str, succeeded: bool) -> None:
        """The Job controller's step after a pod ended: count it, retry or finish the Job."""
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

    def evict(self, namespace: str, name: str, message: str) -> None:
        """Evict a running pod as the kubelet does under node pressure: kill its container and
        fail the pod with ``status.reason: Evicted`` (the Job controller then counts a failure)."""
        run = self.pod_run(namespace, name)
        if run is None or run.container_id is None:
            raise not_found("pods", name)
        run.evicted = message
        pod = self.store.get("Pod", namespace, name)
        if pod is not None:
            self.record_event(pod, "Pod", "Evicted", message, warning=True)
        self.runner.stop(run.container_id, 0)

    def pod_run(self, namespace: str, name: str) -> PodRun | None:
        """The kubelet's record of a pod (None when unknown)."""
        with self._lock:
            return self._pods.get((namespace, name))

    def shutdown(self) -> None:
        """Stop every controller and remove every container this emulator started."""
        with self._lock:
            self.closed = True
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
