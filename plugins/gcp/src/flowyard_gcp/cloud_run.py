"""Submitting, observing and stopping Cloud Run jobs (v2 API, ``google-cloud-run`` over REST).

``submit`` creates the job, waits (bounded) for it to become Ready and runs it; the
infrastructure id is the job's resource name ``projects/P/locations/R/jobs/J``. ``observe``
polls the execution until it completes and explains a failure from its ``Completed`` condition
and the task's exit code. Cloud Run serves no logs through this API, only a Cloud Logging link
(``logUri``), which is logged; the flow's own logs reach flowyard through the engine.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from flowyard.errors import InfrastructureNotFound
from flowyard.job import ExitStatus, FlowRunInfo, Submission

from flowyard_gcp.cloud_run_job import CloudRunJob
from flowyard_gcp.common import client_options, resource_id
from flowyard_gcp.credentials import resolve

log = logging.getLogger(__name__)
_JOB_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/jobs/[^/]+$")


@dataclass(frozen=True)
class CloudRunHandle:
    """The execution this worker started for the run."""

    execution: str


@dataclass(frozen=True)
class _Clients:
    jobs: Any
    executions: Any
    tasks: Any
    project: str


def _clients(job: CloudRunJob) -> _Clients:
    from google.cloud import run_v2

    auth, project = resolve(job.credentials, job.project)
    kwargs: dict[str, Any] = {
        "credentials": auth,
        "transport": "rest",
        "client_options": client_options(job.api_endpoint),
    }
    return _Clients(
        jobs=run_v2.JobsClient(**kwargs),
        executions=run_v2.ExecutionsClient(**kwargs),
        tasks=run_v2.TasksClient(**kwargs),
        project=project,
    )


def _state_name(condition: Any) -> str:
    return str(getattr(condition.state, "name", condition.state))


def submit(job: CloudRunJob, flow_run: FlowRunInfo) -> Submission[CloudRunHandle]:
    """Create the job, wait for it to be Ready, run it; returns the job's resource name."""
    from google.api_core import exceptions as gexc
    from google.cloud import run_v2

    clients = _clients(job)
    parent = f"projects/{clients.project}/locations/{job.region}"
    job_id = resource_id(job.name or flow_run.name, key=flow_run.id)
    body = run_v2.Job.from_json(json.dumps(job.body(flow_run)), ignore_unknown_fields=True)
    try:
        clients.jobs.create_job(parent=parent, job=body, job_id=job_id)
    except gexc.NotFound as exc:
        raise RuntimeError(
            f"Cloud Run refused to create a job in {parent}: {exc.message} "
            "(check the 'project' and 'region' variables)"
        ) from None
    name = f"{parent}/jobs/{job_id}"
    try:
        _wait_ready(clients, job, name)
        operation = clients.jobs.run_job(name=name)
        execution = str(operation.metadata.name)
    except BaseException:
        if not job.keep_job:
            _delete(clients, name)
        raise
    log.info("Cloud Run job %s started execution %s", name, execution)
    return Submission(
        infrastructure_id=name,
        handle=CloudRunHandle(execution=execution),
        details={"job": name, "execution": execution},
    )


def lookup(job: CloudRunJob, flow_run: FlowRunInfo) -> Submission[CloudRunHandle] | None:
    """This run's job (its id is derived from the run's id), else None.

    A job that exists but was never run (its submitter stopped in between) is run now, once:
    finishing that submit, not starting a second one. A job with an execution is returned with
    its latest execution, finished or not (``observe`` reports how it ended).
    """
    from google.api_core import exceptions as gexc

    clients = _clients(job)
    parent = f"projects/{clients.project}/locations/{job.region}"
    name = f"{parent}/jobs/{resource_id(job.name or flow_run.name, key=flow_run.id)}"
    try:
        existing = clients.jobs.get_job(name=name)
    except gexc.NotFound:
        return None
    execution = str(existing.latest_created_execution.name or "")
    if not execution:
        _wait_ready(clients, job, name)
        execution = str(clients.jobs.run_job(name=name).metadata.name)
        log.info("Cloud Run job %s existed without an execution; started %s", name, execution)
    return Submission(
        infrastructure_id=name,
        handle=CloudRunHandle(execution=execution),
        details={"job": name, "execution": execution},
    )


def _wait_ready(clients: _Clients, job: CloudRunJob, name: str) -> None:
    deadline = time.monotonic() + job.job_ready_timeout_seconds
    while True:
        current = clients.jobs.get_job(name=name)
        condition = current.terminal_condition
        state = _state_name(condition)
        if state == "CONDITION_SUCCEEDED":
            return
        if state == "CONDITION_FAILED":
            reason = getattr(condition.reason, "name", condition.reason)
            raise RuntimeError(
                f"Cloud Run job {name} did not become ready ({reason}): {condition.message}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"Cloud Run job {name} was not Ready after {job.job_ready_timeout_seconds:g} s "
                f"(job_ready_timeout_seconds); last condition: {state} {condition.message}"
            )
        time.sleep(min(job.poll_interval_seconds, 1.0))


def observe(job: CloudRunJob, submission: Submission[CloudRunHandle]) -> ExitStatus:
    """Poll the execution to its end; explain how it ended; delete the job unless ``keep_job``."""
    from google.api_core import exceptions as gexc

    clients = _clients(job)
    name = submission.infrastructure_id
    try:
        execution_name = (
            submission.handle.execution
            if submission.handle is not None
            else str(clients.jobs.get_job(name=name).latest_created_execution.name)
        )
        status = _follow(clients, job, execution_name)
    except gexc.NotFound:
        status = ExitStatus(code=-1, reason=f"Cloud Run job {name} or its execution was deleted")
    if not job.keep_job:
        _delete(clients, name)
    return status


def _follow(clients: _Clients, job: CloudRunJob, execution_name: str) -> ExitStatus:
    started = time.monotonic()
    logged_uri = False
    while True:
        execution = clients.executions.get_execution(name=execution_name)
        if execution.log_uri and not logged_uri:
            log.info("Cloud Run execution %s logs: %s", execution_name, execution.log_uri)
            logged_uri = True
        if "completion_time" in execution:
            return _outcome(clients, execution)
        never_started = "start_time" not in execution and not execution.running_count
        if never_started and time.monotonic() - started > job.start_timeout_seconds:
            with contextlib.suppress(Exception):
                clients.executions.cancel_execution(name=execution_name)
            return ExitStatus(
                code=-1,
                reason=f"Cloud Run execution {execution_name} had not started after "
                f"{job.start_timeout_seconds:g} s (start_timeout_seconds); cancelled",
            )
        time.sleep(job.poll_interval_seconds)


def _outcome(clients: _Clients, execution: Any) -> ExitStatus:
    completed = next((c for c in execution.conditions if c.type_ == "Completed"), None)
    if completed is not None and _state_name(completed) == "CONDITION_SUCCEEDED":
        return ExitStatus(code=0)
    short = str(execution.name).rsplit("/", 1)[-1]
    why = getattr(completed.execution_reason, "name", "") if completed is not None else ""
    message = completed.message if completed is not None else "no Completed condition"
    if why in ("CANCELLED", "CANCELLING") or execution.cancelled_count:
        return ExitStatus(code=1, reason=f"Cloud Run execution {short} was cancelled")
    code = 1
    for task in clients.tasks.list_tasks(parent=execution.name):
        result = task.last_attempt_result
        if "last_attempt_result" in task and result.exit_code:
            code = int(result.exit_code)
            message = f"{message} (task {task.index}: exit code {code})"
            break
    return ExitStatus(code=code, reason=f"Cloud Run execution {short} failed: {message}")


def _delete(clients: _Clients, name: str) -> None:
    """Delete the job's executions, then the job; failures are logged, not raised."""
    from google.api_core import exceptions as gexc

    try:
        for execution in clients.executions.list_executions(parent=name):
            with contextlib.suppress(gexc.NotFound):
                clients.executions.delete_execution(name=execution.name)
        clients.jobs.delete_job(name=name)
    except gexc.NotFound:
        pass
    except Exception as exc:  # cleanup must not change how the run ended
        log.warning("could not delete Cloud Run job %s: %s", name, exc)


def kill(infrastructure_id: str, job: CloudRunJob, grace_seconds: float) -> None:
    """Cancel the job's running executions, wait up to ``grace_seconds``, delete the job."""
    from google.api_core import exceptions as gexc

    if not _JOB_NAME.match(infrastructure_id):
        raise InfrastructureNotFound(f"{infrastructure_id!r} is not a Cloud Run job name")
    clients = _clients(job)
    try:
        clients.jobs.get_job(name=infrastructure_id)
        running = [
            e.name
            for e in clients.executions.list_executions(parent=infrastructure_id)
            if "completion_time" not in e
        ]
    except gexc.NotFound:
        raise InfrastructureNotFound(f"Cloud Run job {infrastructure_id} is gone") from None
    for name in running:
        with contextlib.suppress(gexc.NotFound, gexc.FailedPrecondition):
            clients.executions.cancel_execution(name=name)
    deadline = time.monotonic() + grace_seconds
    while running and time.monotonic() < deadline:
        try:
            running = [
                n
                for n in running
                if "completion_time" not in clients.executions.get_execution(name=n)
            ]
        except gexc.NotFound:
            break
        time.sleep(0.5)
    if not job.keep_job:
        _delete(clients, infrastructure_id)
