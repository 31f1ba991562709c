"""Follow a task to STOPPED (with a start timeout), stream its CloudWatch logs, stop it on cancel."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from flowyard.errors import InfrastructureNotFound
from flowyard.job import ExitStatus, Submission

from flowyard_aws import taskdef
from flowyard_aws.credentials import EcsClients
from flowyard_aws.explain import UNKNOWN, explain
from flowyard_aws.job import EcsHandle, EcsJob, parse_infrastructure_id
from flowyard_aws.run import job_clients

log = logging.getLogger("flowyard.worker.ecs")

STARTED = frozenset({"RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"})


def describe(aws: EcsClients, cluster: str, task_arn: str) -> dict[str, Any] | None:
    """The task as DescribeTasks reports it, or None when ECS does not know it."""
    from botocore.exceptions import ClientError

    try:
        tasks = aws.ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in (
            "ClusterNotFoundException",
            "InvalidParameterException",
        ):
            return None
        raise
    return dict(tasks[0]) if tasks else None


class LogTail:
    """Copies new CloudWatch log events of one stream to the worker's output."""

    def __init__(self, aws: EcsClients, group: str, stream: str) -> None:
        self.aws, self.group, self.stream = aws, group, stream
        self.token: str | None = None

    def pump(self) -> None:
        """Print every event since the last call (a missing stream is simply not there yet)."""
        from botocore.exceptions import ClientError

        while True:
            kwargs: dict[str, Any] = {
                "logGroupName": self.group,
                "logStreamName": self.stream,
                "startFromHead": True,
            }
            if self.token:
                kwargs["nextToken"] = self.token
            try:
                page = self.aws.logs.get_log_events(**kwargs)
            except ClientError:
                return
            for event in page.get("events", []):
                sys.stdout.write(str(event.get("message", "")).rstrip("\n") + "\n")
            sys.stdout.flush()
            token = page.get("nextForwardToken")
            if not page.get("events") or token == self.token:
                self.token = token or self.token
                return
            self.token = token


def watch(job: EcsJob, submission: Submission[EcsHandle]) -> ExitStatus:
    """Poll the task until STOPPED; a task not started within the timeout is stopped and crashed."""
    handle = submission.handle
    if handle is None:  # submitted elsewhere: follow the task named by the id alone
        parsed = parse_infrastructure_id(submission.infrastructure_id)
        if parsed is None:
            raise ValueError(f"{submission.infrastructure_id!r} is not an ECS task id.")
        handle = EcsHandle(parsed[0], parsed[1], "", False, job.container_name or "flowyard", None)
    aws = job_clients(job)
    tail = LogTail(aws, *handle.log_stream) if job.stream_output and handle.log_stream else None
    began = time.monotonic()
    started = False
    try:
        while True:
            task = describe(aws, handle.cluster, handle.task_arn)
            if task is None:
                return ExitStatus(
                    code=UNKNOWN,
                    reason=f"ECS no longer knows task {handle.task_arn} (deleted from outside?).",
                )
            status = str(task.get("lastStatus"))
            started = started or status in STARTED
            if tail is not None and started:
                tail.pump()
            if status == "STOPPED":
                if tail is not None:
                    tail.pump()
                return explain(task, handle.container_name)
            waited = time.monotonic() - began
            if not started and waited > job.task_start_timeout_seconds:
                reason = (
                    f"The ECS task did not start within {job.task_start_timeout_seconds:g} s "
                    f"(task_start_timeout_seconds); it was {status}."
                )
                _stop(aws, handle.cluster, handle.task_arn, "flowyard: task start timeout")
                return ExitStatus(code=UNKNOWN, reason=reason)
            time.sleep(job.task_watch_poll_interval)
    finally:
        if job.auto_deregister_task_definition and handle.registered:
            taskdef.deregister(aws.ecs, handle.task_definition_arn)


def _stop(aws: EcsClients, cluster: str, task_arn: str, reason: str) -> None:
    from botocore.exceptions import ClientError

    try:
        aws.ecs.stop_task(cluster=cluster, task=task_arn, reason=reason)
    except ClientError as exc:
        message = str(exc.response.get("Error", {}).get("Message", ""))
        if "not found" in message.lower():
            raise InfrastructureNotFound(f"ECS task {task_arn} was not found.") from None
        raise


def stop(job: EcsJob, infrastructure_id: str) -> None:
    """StopTask (ECS sends SIGTERM, then SIGKILL after the container's stopTimeout).

    :raises InfrastructureNotFound: the id is not an ECS task id, ECS does not know the task,
        or it has already stopped.
    """
    parsed = parse_infrastructure_id(infrastructure_id)
    if parsed is None:
        raise InfrastructureNotFound(
            f"{infrastructure_id!r} is not an ECS task id (expected <cluster>::<task ARN>)."
        )
    cluster, task_arn = parsed
    aws = job_clients(job)
    task = describe(aws, cluster, task_arn)
    if task is None:
        raise InfrastructureNotFound(f"ECS task {task_arn} was not found on cluster {cluster}.")
    if task.get("lastStatus") == "STOPPED":
        raise InfrastructureNotFound(f"ECS task {task_arn} had already stopped.")
    _stop(aws, cluster, task_arn, "Stopped by flowyard worker (flow run cancelled)")
    log.info("Stopped ECS task %s", task_arn)
