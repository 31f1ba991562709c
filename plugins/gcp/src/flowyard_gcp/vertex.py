"""Submitting, observing and stopping Vertex AI custom jobs (``google-cloud-aiplatform`` over REST).

The infrastructure id is the job's resource name ``projects/P/locations/R/customJobs/ID``.
``observe`` polls the job's state; a failure is explained from the job's ``error``. Vertex serves
no logs through this API (they are in Cloud Logging under the job's id, which is logged); the
flow's own logs reach flowyard through the engine.
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

from flowyard_gcp.common import client_options
from flowyard_gcp.credentials import resolve
from flowyard_gcp.vertex_job import VertexJob

log = logging.getLogger(__name__)
_JOB_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/customJobs/[^/]+$")
TERMINAL = frozenset(
    {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}
)
WAITING = frozenset({"JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_UNSPECIFIED"})


@dataclass(frozen=True)
class VertexHandle:
    """When this worker created the job (monotonic clock), for the start timeout."""

    created: float


def _client(job: VertexJob) -> tuple[Any, str]:
    from google.cloud import aiplatform_v1

    auth, project = resolve(job.credentials, job.project)
    client = aiplatform_v1.JobServiceClient(
        credentials=auth, transport="rest", client_options=client_options(job.endpoint())
    )
    return client, project


def _state(custom_job: Any) -> str:
    return str(getattr(custom_job.state, "name", custom_job.state))


def submit(job: VertexJob, flow_run: FlowRunInfo) -> Submission[VertexHandle]:
    """Create the custom job; returns its resource name."""
    from google.api_core import exceptions as gexc
    from google.cloud import aiplatform_v1

    client, project = _client(job)
    parent = f"projects/{project}/locations/{job.region}"
    body = aiplatform_v1.CustomJob.from_json(
        json.dumps(job.custom_job(flow_run)), ignore_unknown_fields=True
    )
    try:
        created = client.create_custom_job(parent=parent, custom_job=body)
    except gexc.NotFound as exc:
        raise RuntimeError(
            f"Vertex AI refused to create a custom job in {parent}: {exc.message} "
            "(check the 'project' and 'region' variables)"
        ) from None
    name = str(created.name)
    log.info("Vertex AI custom job %s created (%s); logs: Cloud Logging", name, body.display_name)
    return Submission(
        infrastructure_id=name,
        handle=VertexHandle(created=time.monotonic()),
        details={"custom_job": name, "display_name": str(body.display_name)},
    )


def observe(job: VertexJob, submission: Submission[VertexHandle]) -> ExitStatus:
    """Poll the job to a final state; explain failures; delete it unless ``keep_job``."""
    from google.api_core import exceptions as gexc

    client, _ = _client(job)
    name = submission.infrastructure_id
    created = submission.handle.created if submission.handle else time.monotonic()
    try:
        status = _follow(client, job, name, created)
    except gexc.NotFound:
        return ExitStatus(code=-1, reason=f"Vertex AI custom job {name} was deleted")
    if not job.keep_job:
        _delete(client, name)
    return status


def _follow(client: Any, job: VertexJob, name: str, created: float) -> ExitStatus:
    while True:
        current = client.get_custom_job(name=name)
        state = _state(current)
        if state in TERMINAL:
            return _outcome(current, state)
        if state in WAITING and time.monotonic() - created > job.start_timeout_seconds:
            with contextlib.suppress(Exception):
                client.cancel_custom_job(name=name)
            _wait_terminal(client, name, 30)
            return ExitStatus(
                code=-1,
                reason=f"Vertex AI custom job {name} was still {state} after "
                f"{job.start_timeout_seconds:g} s (start_timeout_seconds); cancelled",
            )
        time.sleep(job.poll_interval_seconds)


def _outcome(current: Any, state: str) -> ExitStatus:
    if state == "JOB_STATE_SUCCEEDED":
        return ExitStatus(code=0)
    message = current.error.message if "error" in current else ""
    if state == "JOB_STATE_CANCELLED":
        return ExitStatus(code=1, reason=f"Vertex AI custom job {current.name} was cancelled")
    if state == "JOB_STATE_EXPIRED":
        return ExitStatus(code=1, reason=f"Vertex AI custom job {current.name} expired: {message}")
    found = re.search(r"non-zero status of (-?\d+)", message)
    code = int(found.group(1)) if found else 1
    return ExitStatus(code=code, reason=f"Vertex AI custom job {current.name} failed: {message}")


def _wait_terminal(client: Any, name: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _state(client.get_custom_job(name=name)) in TERMINAL:
            return
        time.sleep(0.5)


def _delete(client: Any, name: str) -> None:
    """Delete the (finished) job; failures are logged, not raised."""
    from google.api_core import exceptions as gexc

    try:
        client.delete_custom_job(name=name)
    except gexc.NotFound:
        pass
    except Exception as exc:  # cleanup must not change how the run ended
        log.warning("could not delete Vertex AI custom job %s: %s", name, exc)


def kill(infrastructure_id: str, job: VertexJob, grace_seconds: float) -> None:
    """Cancel the job, wait up to ``grace_seconds`` for it to stop, delete it."""
    from google.api_core import exceptions as gexc

    if not _JOB_NAME.match(infrastructure_id):
        raise InfrastructureNotFound(f"{infrastructure_id!r} is not a Vertex AI custom job name")
    client, _ = _client(job)
    try:
        if _state(client.get_custom_job(name=infrastructure_id)) not in TERMINAL:
            client.cancel_custom_job(name=infrastructure_id)
        _wait_terminal(client, infrastructure_id, max(grace_seconds, 1) + 10)
    except gexc.NotFound:
        raise InfrastructureNotFound(f"Vertex AI custom job {infrastructure_id} is gone") from None
    if not job.keep_job:
        _delete(client, infrastructure_id)
