"""A fake Vertex AI v1 job service (custom jobs, operations) that runs containers.

Serves the REST paths ``google-cloud-aiplatform``'s ``JobServiceClient`` calls with
``transport="rest"`` (enums as names or numbers, camelCase JSON). ``create_custom_job`` answers
with the job itself (not an operation), in ``JOB_STATE_QUEUED`` with a numeric id; the job then
goes PENDING and, with its first worker pool's container running on the local Docker engine
(``flowyard_fakes.containers``), RUNNING, then SUCCEEDED or FAILED with Vertex's message
("The replica workerpool0-0 exited with a non-zero status of N..."). An image missing from the
engine fails the job with a message naming it. ``cancel`` stops the container (CANCELLING →
CANCELLED with ``error {code: 1, message: "CANCELED"}``); ``delete`` refuses a job that has not
ended and otherwise removes it and its container (an operation, done at once).
``jobSpec.scheduling.timeout`` is enforced.

Authentication: see :mod:`flowyard_fakes.gcp_rest` (service-account keys, ``require_auth``).

Not modelled: IAM, more than one worker pool or replica (only ``workerPoolSpecs[0]`` runs, once),
machine types, accelerators and disks, networks, service accounts, ``FLEX_START``/``SPOT``
waiting, ``restartJobOnWorkerRestart``, web access, Cloud Logging, filters on list.
Containers use ``network_mode`` (default ``host``).
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import uuid
from typing import Any

from flowyard_fakes.containers import ContainerRunner, ContainerSpec, ImageNotPresent
from flowyard_fakes.gcp_rest import ApiError, GoogleRestFake, Json, now, parse_duration

_AIP = "type.googleapis.com/google.cloud.aiplatform.v1."
_LOC = r"projects/[^/]+/locations/[^/]+"
TERMINAL = {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
_ids = itertools.count(1_000_000_000_000_000_000 + uuid.uuid4().int % 10**12)


class VertexFake(GoogleRestFake):
    """The fake API server; use as a context manager, point clients at :attr:`endpoint`."""

    version = "v1"

    def __init__(
        self,
        runner: ContainerRunner | None = None,
        network_mode: str | None = "host",
        cancel_grace_seconds: float = 3,
        start_delay_seconds: float = 0.0,
    ) -> None:
        super().__init__()
        self.runner = runner or ContainerRunner()
        self.network_mode = network_mode
        self.cancel_grace_seconds = cancel_grace_seconds
        self.start_delay_seconds = start_delay_seconds
        self._jobs: dict[str, Json] = {}
        self._containers: dict[str, str] = {}
        self._cancelled: set[str] = set()
        self.route("POST", rf"/v1/({_LOC})/customJobs", self._create)
        self.route("GET", rf"/v1/({_LOC})/customJobs", self._list)
        self.route("GET", rf"/v1/({_LOC}/customJobs/[^/:]+)", self._get)
        self.route("POST", rf"/v1/({_LOC}/customJobs/[^/:]+):cancel", self._cancel)
        self.route("DELETE", rf"/v1/({_LOC}/customJobs/[^/:]+)", self._delete)

    def __enter__(self) -> VertexFake:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        for container_id in list(self._containers.values()):
            self.runner.remove(container_id)

    # -- test helpers -------------------------------------------------------------------

    def jobs(self) -> list[Json]:
        """Every custom job the fake holds."""
        with self.lock:
            return [dict(j) for j in self._jobs.values()]

    def container_id(self, custom_job: str) -> str | None:
        """The id of the container a custom job started (None before it started)."""
        with self.lock:
            return self._containers.get(custom_job)

    def container_ids(self) -> list[str]:
        """Ids of the containers the fake started that still exist on the engine."""
        with self.lock:
            ids = list(self._containers.values())
        return [c for c in ids if self.runner.exists(c)]

    # -- handlers -----------------------------------------------------------------------

    def _job(self, name: str) -> Json:
        job = self._jobs.get(name)
        if job is None:
            raise ApiError(404, f"The CustomJob does not exist: {name}")
        return job

    def _create(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        pools = (body.get("jobSpec") or {}).get("workerPoolSpecs") or []
        if not body.get("displayName"):
            raise ApiError(400, "displayName is required", "INVALID_ARGUMENT")
        if not pools or not (pools[0].get("containerSpec") or {}).get("imageUri"):
            raise ApiError(
                400,
                "jobSpec.workerPoolSpecs[0].containerSpec.imageUri is required",
                "INVALID_ARGUMENT",
            )
        name = f"{m.group(1)}/customJobs/{next(_ids)}"
        stamp = now()
        job: Json = {
            **body,
            "name": name,
            "state": "JOB_STATE_QUEUED",
            "createTime": stamp,
            "updateTime": stamp,
        }
        with self.lock:
            self._jobs[name] = job
            answer = dict(job)
        threading.Thread(target=self._execute, args=(name,), daemon=True).start()
        return 200, answer

    def _set(self, name: str, **fields: Any) -> Json | None:
        with self.lock:
            job = self._jobs.get(name)
            if job is not None:
                job.update(fields, updateTime=now())
            return job

    def _execute(self, name: str) -> None:
        with self.lock:
            job = self._jobs.get(name)
            if job is None or job["state"] in TERMINAL:
                return
            job.update(state="JOB_STATE_PENDING", updateTime=now())
            spec = job["jobSpec"]
            container = spec["workerPoolSpecs"][0]["containerSpec"]
            run = ContainerSpec(
                name=f"vertex-{name.rsplit('/', 1)[-1]}",
                image=str(container["imageUri"]),
                command=container.get("command") or None,
                args=container.get("args") or None,
                env={str(e["name"]): str(e.get("value", "")) for e in container.get("env", [])},
                labels={"flowyard-fake": "vertex-ai", "vertex-custom-job": name},
                network_mode=self.network_mode,
            )
            timeout = parse_duration((spec.get("scheduling") or {}).get("timeout"), 7 * 86400)
        if self.start_delay_seconds:
            threading.Event().wait(self.start_delay_seconds)
        if name in self._cancelled:
            return
        try:
            container_id = self.runner.start(run)
        except ImageNotPresent as exc:
            self._set(
                name,
                state="JOB_STATE_FAILED",
                endTime=now(),
                error={
                    "code": 3,
                    "message": f"Unable to pull the image '{exc.image}' for workerpool0-0: "
                    "image not found.",
                },
            )
            return
        with self.lock:
            self._containers[name] = container_id
            if name in self._cancelled or name not in self._jobs:
                self.runner.remove(container_id)
                return
        self._set(name, state="JOB_STATE_RUNNING", startTime=now())
        ended = self.runner.wait(container_id, timeout=timeout)
        if name in self._cancelled:
            self._set(
                name,
                state="JOB_STATE_CANCELLED",
                endTime=now(),
                error={"code": 1, "message": "CANCELED"},
            )
        elif ended is None:
            self.runner.stop(container_id, self.cancel_grace_seconds)
            self._set(
                name,
                state="JOB_STATE_FAILED",
                endTime=now(),
                error={"code": 4, "message": "The job exceeded its maximum run time (timeout)."},
            )
        elif ended.exit_code == 0:
            self._set(name, state="JOB_STATE_SUCCEEDED", endTime=now())
        else:
            self._set(
                name,
                state="JOB_STATE_FAILED",
                endTime=now(),
                error={
                    "code": 3,
                    "message": "The replica workerpool0-0 exited with a non-zero status of "
                    f"{ended.exit_code}. Termination reason: Error.",
                },
            )

    def _list(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        with self.lock:
            found = [j for n, j in self._jobs.items() if n.startswith(m.group(1) + "/")]
        return 200, {"customJobs": found}

    def _get(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        with self.lock:
            return 200, dict(self._job(m.group(1)))

    def _cancel(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        name = m.group(1)
        with self.lock:
            job = self._job(name)
            if job["state"] in TERMINAL:
                raise ApiError(400, f"Cannot cancel CustomJob {name}: it is {job['state']}.")
            self._cancelled.add(name)
            container_id = self._containers.get(name)
            if container_id is None:
                job.update(
                    state="JOB_STATE_CANCELLED",
                    endTime=now(),
                    error={"code": 1, "message": "CANCELED"},
                )
            else:
                job.update(state="JOB_STATE_CANCELLING", updateTime=now())
        if container_id:
            threading.Thread(
                target=self.runner.stop,
                args=(container_id, self.cancel_grace_seconds),
                daemon=True,
            ).start()
        return 200, {}

    def _delete(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        name = m.group(1)
        with self.lock:
            job = self._job(name)
            if job["state"] not in TERMINAL:
                raise ApiError(
                    400, f"CustomJob {name} is in state {job['state']} and cannot be deleted."
                )
            del self._jobs[name]
            container_id = self._containers.pop(name, None)
        if container_id:
            with contextlib.suppress(Exception):
                self.runner.remove(container_id)
        metadata = {
            "@type": _AIP + "DeleteOperationMetadata",
            "genericMetadata": {"createTime": now(), "updateTime": now()},
        }
        parent = name.split("/customJobs/")[0]
        return 200, self.operation(
            parent, metadata, {"@type": "type.googleapis.com/google.protobuf.Empty"}, done=True
        )
