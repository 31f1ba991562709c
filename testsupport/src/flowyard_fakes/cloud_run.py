"""A fake Cloud Run Admin API v2 (jobs, executions, tasks, operations) that runs containers.

Serves the REST paths ``google-cloud-run``'s ``JobsClient``, ``ExecutionsClient`` and
``TasksClient`` call with ``transport="rest"`` (enums accepted as names or numbers, camelCase
JSON, int64 as strings, ``@type`` on operation payloads). Each ``jobs.run`` starts an execution
whose single task is a real container on the local Docker engine (``flowyard_fakes.containers``);
the execution's counters, conditions and completion time follow the container, and the task
records its exit code in ``lastAttemptResult``. ``cancel`` stops the container (SIGTERM, then
SIGKILL after ``cancel_grace_seconds``); deleting an execution or a job removes its containers.
A job whose image is not on the local engine gets ``terminalCondition`` FAILED with reason
``CONTAINER_MISSING``; the task timeout (``template.template.timeout``) is enforced.

Authentication: see :mod:`flowyard_fakes.gcp_rest` (service-account keys, ``require_auth``).

Not modelled: IAM, parallelism and ``taskCount`` > 1 (one task per
execution), task retries (``maxRetries``), ``run`` overrides, ``update_job``, VPC access, Secret
Manager env sources, CPU limits, Cloud Logging (``logUri`` points nowhere), ``etag``
preconditions, paging. Containers use ``network_mode`` (default ``host``, so a flow reaches a
flowyard server on loopback).
"""

from __future__ import annotations

import contextlib
import random
import re
import string
import threading
import uuid
from typing import Any

from flowyard_fakes.containers import ContainerRunner, ContainerSpec, ImageNotPresent
from flowyard_fakes.gcp_rest import ApiError, GoogleRestFake, Json, now, parse_duration

_RUN = "type.googleapis.com/google.cloud.run.v2."
_LAUNCH_STAGES = ["LAUNCH_STAGE_UNSPECIFIED", "EARLY_ACCESS", "ALPHA", "BETA", "GA"]
_LOC = r"projects/[^/]+/locations/[^/]+"
_MEMORY = re.compile(r"^(\d+)(Gi|G|Mi|M)$")
_UNITS = {"Gi": 1024**3, "G": 1000**3, "Mi": 1024**2, "M": 1000**2}


def _memory_bytes(value: Any) -> int | None:
    found = _MEMORY.match(str(value or ""))
    return int(found.group(1)) * _UNITS[found.group(2)] if found else None


def _condition(type_: str, state: str, message: str = "", **extra: Any) -> Json:
    return {
        "type": type_,
        "state": state,
        "message": message,
        "lastTransitionTime": now(),
        **extra,
    }


class CloudRunFake(GoogleRestFake):
    """The fake API server; use as a context manager, point clients at :attr:`endpoint`."""

    version = "v2"

    def __init__(
        self,
        runner: ContainerRunner | None = None,
        network_mode: str | None = "host",
        cancel_grace_seconds: float = 3,
    ) -> None:
        super().__init__()
        self.runner = runner or ContainerRunner()
        self.network_mode = network_mode
        self.cancel_grace_seconds = cancel_grace_seconds
        self._jobs: dict[str, Json] = {}
        self._executions: dict[str, Json] = {}
        self._tasks: dict[str, Json] = {}
        self._containers: dict[str, str] = {}  # execution name -> container id
        self._cancelled: set[str] = set()
        jobs = rf"/v2/({_LOC})/jobs"
        self.route("POST", jobs, self._create_job)
        self.route("GET", jobs, self._list_jobs)
        self.route("GET", rf"/v2/({_LOC}/jobs/[^/:]+)", self._get_job)
        self.route("DELETE", rf"/v2/({_LOC}/jobs/[^/:]+)", self._delete_job)
        self.route("POST", rf"/v2/({_LOC}/jobs/[^/:]+):run", self._run_job)
        self.route("GET", rf"/v2/({_LOC}/jobs/[^/:]+)/executions", self._list_executions)
        self.route("GET", rf"/v2/({_LOC}/jobs/[^/]+/executions/[^/:]+)", self._get_execution)
        self.route("DELETE", rf"/v2/({_LOC}/jobs/[^/]+/executions/[^/:]+)", self._delete_execution)
        self.route(
            "POST", rf"/v2/({_LOC}/jobs/[^/]+/executions/[^/:]+):cancel", self._cancel_execution
        )
        self.route("GET", rf"/v2/({_LOC}/jobs/[^/]+/executions/[^/:]+)/tasks", self._list_tasks)

    def __enter__(self) -> CloudRunFake:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        for container_id in list(self._containers.values()):
            self.runner.remove(container_id)

    # -- test helpers -------------------------------------------------------------------

    def jobs(self) -> list[Json]:
        """Every job the fake holds."""
        with self.lock:
            return [dict(j) for j in self._jobs.values()]

    def executions(self) -> list[Json]:
        """Every execution the fake holds."""
        with self.lock:
            return [dict(e) for e in self._executions.values()]

    def container_id(self, execution: str) -> str | None:
        """The id of the container an execution started (None before it started)."""
        with self.lock:
            return self._containers.get(execution)

    def container_ids(self) -> list[str]:
        """Ids of the containers the fake started that still exist on the engine."""
        with self.lock:
            ids = list(self._containers.values())
        return [c for c in ids if self.runner.exists(c)]

    # -- jobs ---------------------------------------------------------------------------

    def _create_job(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        parent, job_id = m.group(1), query.get("jobId", "")
        if not re.fullmatch(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?", job_id):
            raise ApiError(400, f"invalid jobId {job_id!r}", "INVALID_ARGUMENT")
        name = f"{parent}/jobs/{job_id}"
        containers = (body.get("template") or {}).get("template", {}).get("containers") or []
        if not containers or not containers[0].get("image"):
            raise ApiError(
                400, "template.template.containers[0].image is required", "INVALID_ARGUMENT"
            )
        stage = body.get("launchStage", "GA")
        if isinstance(stage, int):
            stage = _LAUNCH_STAGES[stage] if stage < len(_LAUNCH_STAGES) else "GA"
        image = str(containers[0]["image"])
        if self.runner.image_present(image):
            ready = _condition("Ready", "CONDITION_SUCCEEDED")
        else:
            ready = _condition(
                "Ready",
                "CONDITION_FAILED",
                f"Image '{image}' not found.",
                reason="CONTAINER_MISSING",
            )
        stamp = now()
        job: Json = {
            **body,
            "name": name,
            "uid": str(uuid.uuid4()),
            "generation": "1",
            "observedGeneration": "1",
            "createTime": stamp,
            "updateTime": stamp,
            "etag": uuid.uuid4().hex,
            "launchStage": stage,
            "terminalCondition": ready,
            "conditions": [],
            "executionCount": 0,
            "latestCreatedExecution": {},
            "reconciling": False,
        }
        with self.lock:
            if name in self._jobs:
                raise ApiError(409, f"Resource '{job_id}' already exists.")
            self._jobs[name] = job
        return 200, self.operation(
            parent, {"@type": _RUN + "Job", **job}, {"@type": _RUN + "Job", **job}, done=True
        )

    def _list_jobs(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        with self.lock:
            found = [j for n, j in self._jobs.items() if n.startswith(m.group(1) + "/")]
        return 200, {"jobs": found}

    def _job(self, name: str) -> Json:
        job = self._jobs.get(name)
        if job is None:
            raise ApiError(404, f"Resource '{name.rsplit('/', 1)[-1]}' of kind 'JOB' not found.")
        return job

    def _get_job(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        with self.lock:
            return 200, dict(self._job(m.group(1)))

    def _delete_job(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        name = m.group(1)
        with self.lock:
            job = self._jobs.pop(name, None)
            if job is None:
                raise ApiError(
                    404, f"Resource '{name.rsplit('/', 1)[-1]}' of kind 'JOB' not found."
                )
            doomed = [e for e in self._executions if e.startswith(name + "/")]
        for execution in doomed:
            self._remove_execution(execution)
        parent = name.split("/jobs/")[0]
        return 200, self.operation(
            parent, {"@type": _RUN + "Job", **job}, {"@type": _RUN + "Job", **job}, done=True
        )

    # -- executions ---------------------------------------------------------------------

    def _run_job(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        job_name = m.group(1)
        with self.lock:
            job = self._job(job_name)
            if job["terminalCondition"]["state"] != "CONDITION_SUCCEEDED":
                raise ApiError(400, f"Job {job_name} is not ready: cannot run it.")
            short = job_name.rsplit("/", 1)[-1]
            suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
            name = f"{job_name}/executions/{short}-{suffix}"
            task_template = job["template"]["template"]
            stamp = now()
            execution: Json = {
                "name": name,
                "uid": str(uuid.uuid4()),
                "generation": "1",
                "job": short,
                "createTime": stamp,
                "updateTime": stamp,
                "launchStage": job["launchStage"],
                "parallelism": 1,
                "taskCount": 1,
                "template": task_template,
                "labels": dict((job.get("template") or {}).get("labels") or {}),
                "conditions": [
                    _condition("ResourcesAvailable", "CONDITION_PENDING"),
                    _condition("Started", "CONDITION_PENDING"),
                    _condition("Completed", "CONDITION_PENDING"),
                ],
                "runningCount": 0,
                "succeededCount": 0,
                "failedCount": 0,
                "cancelledCount": 0,
                "retriedCount": 0,
                "logUri": f"https://console.cloud.google.com/logs/viewer?execution={short}-{suffix}",
                "reconciling": True,
                "etag": uuid.uuid4().hex,
            }
            self._executions[name] = execution
            self._tasks[name] = {
                "name": f"{name}/tasks/{short}-{suffix}-task0",
                "job": short,
                "execution": f"{short}-{suffix}",
                "index": 0,
                "uid": str(uuid.uuid4()),
                "generation": "1",
                "createTime": stamp,
                "conditions": [],
                "retried": 0,
                "etag": uuid.uuid4().hex,
            }
            job["executionCount"] = int(job.get("executionCount", 0)) + 1
            job["latestCreatedExecution"] = {"name": name, "createTime": stamp}
            parent = job_name.split("/jobs/")[0]
            op = self.operation(parent, {"@type": _RUN + "Execution", **execution}, None, False)
        threading.Thread(target=self._execute, args=(name, op["name"]), daemon=True).start()
        return 200, op

    def _execute(self, name: str, operation: str) -> None:
        with self.lock:
            execution = self._executions.get(name)
            if execution is None:
                return
            template = execution["template"]
            container = template["containers"][0]
            env = {
                str(e["name"]): str(e.get("value", ""))
                for e in container.get("env", [])
                if "value" in e
            }
            limits = (container.get("resources") or {}).get("limits") or {}
            spec = ContainerSpec(
                name=f"cloudrun-{name.rsplit('/', 1)[-1]}-{uuid.uuid4().hex[:4]}",
                image=str(container["image"]),
                command=container.get("command") or None,
                args=container.get("args") or None,
                env=env,
                labels={"flowyard-fake": "cloud-run", "cloud-run-execution": name},
                memory_limit_bytes=_memory_bytes(limits.get("memory")),
                network_mode=self.network_mode,
            )
            timeout = parse_duration(template.get("timeout"), 600)
        try:
            container_id = self.runner.start(spec)
        except ImageNotPresent as exc:
            self._complete(name, operation, None, f"Image '{exc.image}' not found.")
            return
        with self.lock:
            if name not in self._executions:
                self.runner.remove(container_id)
                return
            self._containers[name] = container_id
            execution.update(startTime=now(), runningCount=1)
            execution["conditions"][0] = _condition("ResourcesAvailable", "CONDITION_SUCCEEDED")
            execution["conditions"][1] = _condition("Started", "CONDITION_SUCCEEDED")
            self._tasks[name].update(startTime=now())
        ended = self.runner.wait(container_id, timeout=timeout)
        if ended is None:
            self.runner.stop(container_id, self.cancel_grace_seconds)
            self._complete(name, operation, None, "The configured timeout was reached.")
            return
        self._complete(name, operation, ended.exit_code, None)

    def _complete(
        self, name: str, operation: str, exit_code: int | None, error: str | None
    ) -> None:
        with self.lock:
            execution = self._executions.get(name)
            if execution is None:
                return
            task = self._tasks[name]
            cancelled = name in self._cancelled
            stamp = now()
            execution.update(completionTime=stamp, runningCount=0, reconciling=False)
            task.update(completionTime=stamp)
            short = task["name"].rsplit("/", 1)[-1]
            if exit_code is not None:
                task["lastAttemptResult"] = {
                    "exitCode": exit_code,
                    "status": {"code": 0 if exit_code == 0 else 2},
                }
            if cancelled:
                execution["cancelledCount"] = 1
                done = _condition(
                    "Completed",
                    "CONDITION_FAILED",
                    "The execution was cancelled.",
                    executionReason="CANCELLED",
                )
            elif exit_code == 0:
                execution["succeededCount"] = 1
                done = _condition(
                    "Completed", "CONDITION_SUCCEEDED", "Execution completed successfully."
                )
            else:
                execution["failedCount"] = 1
                why = error or "The container exited with an error."
                done = _condition(
                    "Completed",
                    "CONDITION_FAILED",
                    f"Task {short} failed with message: {why}",
                    executionReason="NON_ZERO_EXIT_CODE"
                    if exit_code
                    else "EXECUTION_REASON_UNDEFINED",
                )
            execution["conditions"][2] = done
            job = self._jobs.get(name.split("/executions/")[0])
            if job is not None and job["latestCreatedExecution"].get("name") == name:
                job["latestCreatedExecution"]["completionTime"] = stamp
            final = {"@type": _RUN + "Execution", **execution}
        self.finish_operation(operation, final)

    def _execution(self, name: str) -> Json:
        execution = self._executions.get(name)
        if execution is None:
            raise ApiError(
                404, f"Resource '{name.rsplit('/', 1)[-1]}' of kind 'EXECUTION' not found."
            )
        return execution

    def _list_executions(
        self, m: re.Match[str], body: Json, query: dict[str, str]
    ) -> tuple[int, Json]:
        with self.lock:
            self._job(m.group(1))
            found = [e for n, e in self._executions.items() if n.startswith(m.group(1) + "/")]
        return 200, {"executions": found}

    def _get_execution(
        self, m: re.Match[str], body: Json, query: dict[str, str]
    ) -> tuple[int, Json]:
        with self.lock:
            return 200, dict(self._execution(m.group(1)))

    def _cancel_execution(
        self, m: re.Match[str], body: Json, query: dict[str, str]
    ) -> tuple[int, Json]:
        name = m.group(1)
        with self.lock:
            execution = self._execution(name)
            if "completionTime" in execution:
                raise ApiError(400, f"Execution {name} has already completed.")
            self._cancelled.add(name)
            container_id = self._containers.get(name)
            snapshot = {"@type": _RUN + "Execution", **execution}
        if container_id:
            threading.Thread(
                target=self.runner.stop,
                args=(container_id, self.cancel_grace_seconds),
                daemon=True,
            ).start()
        return 200, self.operation(name.split("/jobs/")[0], snapshot, snapshot, done=True)

    def _remove_execution(self, name: str) -> Json | None:
        with self.lock:
            execution = self._executions.pop(name, None)
            self._tasks.pop(name, None)
            container_id = self._containers.pop(name, None)
        if container_id:
            with contextlib.suppress(Exception):
                self.runner.remove(container_id)
        return execution

    def _delete_execution(
        self, m: re.Match[str], body: Json, query: dict[str, str]
    ) -> tuple[int, Json]:
        execution = self._remove_execution(m.group(1))
        if execution is None:
            self._execution(m.group(1))  # raises NotFound
            raise AssertionError("unreachable")
        payload = {"@type": _RUN + "Execution", **execution}
        return 200, self.operation(m.group(1).split("/jobs/")[0], payload, payload, done=True)

    def _list_tasks(self, m: re.Match[str], body: Json, query: dict[str, str]) -> tuple[int, Json]:
        with self.lock:
            self._execution(m.group(1))
            task = self._tasks.get(m.group(1))
            return 200, {"tasks": [dict(task)] if task else []}
