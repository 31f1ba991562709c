"""The harness's ECS container agent: runs the tasks moto records as real Docker containers.

It watches moto over boto3 (ListClusters, ListTasks, DescribeTasks, DescribeTaskDefinition),
and for each new PROVISIONING task: takes the first container definition with the task's
container override (image, entryPoint, command, environment, memory), runs it through
:class:`flowyard_fakes.containers.ContainerRunner`, copies its output to CloudWatch Logs (moto's
Logs API) when the definition uses the ``awslogs`` driver, and reports every status change to the
moto process (``PENDING`` → ``RUNNING`` → ``STOPPED`` with stopCode, stoppedReason and the
container's exit code). A task whose desired status becomes STOPPED (StopTask) gets its container
stopped (SIGTERM, SIGKILL after the definition's ``stopTimeout``, default 30 s) and removed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from flowyard_fakes.containers import ContainerRunner, ContainerSpec, ImageNotPresent

log = logging.getLogger("flowyard_fakes.ecs")

TASK_LABEL = "flowyard-fakes.ecs.task-arn"
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"


@dataclass
class _Run:
    task_arn: str
    container_id: str | None = None
    stop_timeout: float = 30.0
    stop_requested: bool = False
    done: threading.Event = field(default_factory=threading.Event)


class EcsAgent:
    """Runs moto's ECS tasks on the local Docker engine (one thread per task, one poller)."""

    def __init__(
        self,
        endpoint_url: str,
        region_name: str,
        runner: ContainerRunner | None = None,
        network_mode: str | None = "host",
        poll_interval: float = 0.1,
    ) -> None:
        import boto3

        self.endpoint_url = endpoint_url
        self.region_name = region_name
        self.runner = runner or ContainerRunner()
        self.network_mode = network_mode
        self.poll_interval = poll_interval
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=region_name
        )
        self.ecs = session.client("ecs", endpoint_url=endpoint_url)
        self.logs = session.client("logs", endpoint_url=endpoint_url)
        self.http = httpx.Client(base_url=endpoint_url, timeout=30)
        self.runs: dict[str, _Run] = {}
        self.started_at: dict[str, float] = {}
        """Task ARN → ``time.time()`` when its container started (for the dispatch bench)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> EcsAgent:
        """Start polling moto in a background thread."""
        self._thread = threading.Thread(target=self._loop, daemon=True, name="fake-ecs-agent")
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop polling; stop and remove every container this agent started."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for run in list(self.runs.values()):
            if run.container_id:
                self.runner.stop(run.container_id, 0)
                self.runner.remove(run.container_id)
        self.http.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll()
            except Exception as exc:  # moto restarting, a test resetting it: try again
                log.debug("fake ECS agent poll failed: %s", exc)
            self._stop.wait(self.poll_interval)

    def _poll(self) -> None:
        for cluster in self.ecs.list_clusters()["clusterArns"]:
            arns = self.ecs.list_tasks(cluster=cluster)["taskArns"]
            for start in range(0, len(arns), 100):
                described = self.ecs.describe_tasks(
                    cluster=cluster, tasks=arns[start : start + 100]
                )
                for task in described["tasks"]:
                    self._consider(dict(task))

    def _consider(self, task: dict[str, Any]) -> None:
        arn = str(task["taskArn"])
        run = self.runs.get(arn)
        if run is None:
            if task.get("lastStatus") != "PROVISIONING":
                return
            run = self.runs[arn] = _Run(task_arn=arn)
            threading.Thread(
                target=self._run_task, args=(task, run), daemon=True, name=f"fake-ecs-{arn[-8:]}"
            ).start()
            return
        if task.get("desiredStatus") == "STOPPED" and not run.stop_requested:
            run.stop_requested = True
            if run.container_id:
                threading.Thread(
                    target=self.runner.stop,
                    args=(run.container_id, run.stop_timeout),
                    daemon=True,
                ).start()

    # ------------------------------------------------------------------ one task

    def report(self, task_arn: str, last_status: str, **fields: Any) -> None:
        """Tell moto the task's new status (and stopCode, stoppedReason, container fields)."""
        body = {"taskArn": task_arn, "lastStatus": last_status, **fields}
        self.http.post("/_flowyard/ecs/task-state", json=body).raise_for_status()

    def _spec(self, task: dict[str, Any]) -> tuple[ContainerSpec, dict[str, Any]]:
        definition = self.ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])[
            "taskDefinition"
        ]
        container: dict[str, Any] = dict(definition["containerDefinitions"][0])
        name = str(container["name"])
        overrides: list[dict[str, Any]] = task.get("overrides", {}).get("containerOverrides", [])
        override: dict[str, Any] = next(
            (dict(o) for o in overrides if o.get("name") == name),
            {},
        )
        env = {e["name"]: e["value"] for e in container.get("environment", [])}
        env.update({e["name"]: e["value"] for e in override.get("environment", [])})
        memory: Any = (
            override.get("memory")
            or container.get("memory")
            or container.get("memoryReservation")
            or definition.get("memory")
        )
        task_id = str(task["taskArn"]).rsplit("/", 1)[-1]
        spec = ContainerSpec(
            name=f"ecs-{name}-{task_id}",
            image=str(container["image"]),
            command=container.get("entryPoint"),
            args=override.get("command") or container.get("command"),
            env=env,
            labels={TASK_LABEL: str(task["taskArn"])},
            memory_limit_bytes=int(memory) * 1024 * 1024 if memory else None,
            network_mode=self.network_mode,
        )
        return spec, container

    def _run_task(self, task: dict[str, Any], run: _Run) -> None:
        arn = run.task_arn
        try:
            spec, container = self._spec(task)
            run.stop_timeout = float(container.get("stopTimeout") or 30)
            self.report(arn, "PENDING", container={"lastStatus": "PENDING"})
            logs = self._log_target(container, arn)
            if run.stop_requested:
                self._stopped(arn, "UserInitiated", None, None)
                return
            try:
                run.container_id = self.runner.start(spec)
            except ImageNotPresent as exc:
                reason = (
                    f"CannotPullContainerError: pull image manifest has been retried 1 time(s): "
                    f"failed to resolve ref {exc.image}: not found"
                )
                self.report(
                    arn,
                    "STOPPED",
                    stopCode="TaskFailedToStart",
                    stoppedReason=reason,
                    container={"lastStatus": "STOPPED", "reason": reason},
                )
                return
            self.started_at[arn] = time.time()
            self.report(arn, "RUNNING", container={"lastStatus": "RUNNING"})
            pump = None
            if logs is not None:
                pump = threading.Thread(
                    target=self._copy_logs, args=(run.container_id, *logs), daemon=True
                )
                pump.start()
            if run.stop_requested:  # StopTask arrived while the container was starting
                self.runner.stop(run.container_id, run.stop_timeout)
            ended = self.runner.wait(run.container_id)
            if pump is not None:
                pump.join(timeout=10)
            code = ended.exit_code if ended else None
            oom = bool(ended and ended.oom_killed)
            self._stopped(
                arn,
                "UserInitiated" if run.stop_requested else "EssentialContainerExited",
                code,
                OOM_REASON if oom else None,
            )
        except Exception as exc:
            log.warning("fake ECS agent could not run task %s: %s", arn, exc)
            with contextlib.suppress(Exception):
                self._stopped(arn, "TaskFailedToStart", None, f"fake ECS agent error: {exc}")
        finally:
            if run.container_id:
                self.runner.remove(run.container_id)
            run.done.set()

    def _stopped(self, arn: str, stop_code: str, exit_code: int | None, reason: str | None) -> None:
        container: dict[str, Any] = {"lastStatus": "STOPPED"}
        if exit_code is not None:
            container["exitCode"] = exit_code
        if reason:
            container["reason"] = reason
        fields: dict[str, Any] = {"stopCode": stop_code, "container": container}
        if stop_code == "EssentialContainerExited":
            fields["stoppedReason"] = "Essential container in task exited"
        elif stop_code == "TaskFailedToStart" and reason:
            fields["stoppedReason"] = reason
        self.report(arn, "STOPPED", **fields)

    # ------------------------------------------------------------------ CloudWatch Logs

    def _log_target(self, container: dict[str, Any], arn: str) -> tuple[str, str] | None:
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
            return None
        group = str(options["awslogs-group"])
        prefix = options.get("awslogs-stream-prefix")
        task_id = arn.rsplit("/", 1)[-1]
        stream = f"{prefix}/{container['name']}/{task_id}" if prefix else task_id
        if options.get("awslogs-create-group") == "true":
            with contextlib.suppress(self.logs.exceptions.ResourceAlreadyExistsException):
                self.logs.create_log_group(logGroupName=group)
        self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        return group, stream

    def _copy_logs(self, container_id: str, group: str, stream: str) -> None:
        pending = b""
        for chunk in self.runner.logs(container_id, follow=True):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            self._put(group, stream, lines)
        self._put(group, stream, [pending] if pending else [])

    def _put(self, group: str, stream: str, lines: list[bytes]) -> None:
        if not lines:
            return
        now = int(time.time() * 1000)
        events: list[Any] = [
            {"timestamp": now, "message": line.decode(errors="replace")} for line in lines if line
        ]
        if not events:
            return
        self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
