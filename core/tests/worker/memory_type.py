"""Worker type ``memory`` for the worker unit tests: its "infrastructure" is an in-process record.

Installed by ``conftest.py`` as distribution ``fy-memory`` with a real ``flowyard.workers`` entry
point, so the worker loads it exactly as it loads ``process`` or ``docker``. Tests see what was
submitted (``SUBMITTED``, ``RUNNING``), make an infrastructure exit (``Infrastructure.exit``)
and can hold runs between claim and submit (``RENDER_GATE``). Its ``reattach`` finds a job still
in ``RUNNING`` (as a restarted worker would; a job whose env has ``MEMORY_ENGINE_REPORTS=1``
says its engine reports the infrastructure id, and ``exit`` may say the final state its engine
had reported; ``leave_running`` plays the job a worker killed
mid-run left behind), records what it was given (``REATTACHED``), and answers None while a test
clears ``CAN_REATTACH``.
"""

from __future__ import annotations

import threading

from flowyard.errors import InfrastructureNotFound
from flowyard.hookspecs import hookimpl
from flowyard.job import BaseJobConfiguration, ExitStatus, FlowRunInfo, Submission
from flowyard.schemas.common import StateType

OBSERVE_TIMEOUT = 30.0


class MemoryJob(BaseJobConfiguration):
    """The rendered job: the base fields (command, env, labels, name)."""


class Infrastructure:
    """One submitted job; ``exit`` ends it with a code (what ``observe`` then reports)."""

    def __init__(self, job: MemoryJob, run_id: str) -> None:
        self.job = job
        self.run_id = run_id
        self.code: int | None = None
        self.reason: str | None = None
        self.final_state: StateType | None = None
        self.exited = threading.Event()

    def exit(
        self, code: int, reason: str | None = None, final_state: StateType | None = None
    ) -> None:
        """The job ends with ``code``; ``final_state``: what its engine told the type it ended in."""
        self.code, self.reason, self.final_state = code, reason, final_state
        self.exited.set()


RUNNING: dict[str, Infrastructure] = {}
SUBMITTED: list[str] = []
KILLED: list[str] = []
RENDER_GATE = threading.Event()
REATTACHED: list[tuple[str, MemoryJob, FlowRunInfo]] = []
CAN_REATTACH = threading.Event()


def reset() -> None:
    """Forget every job; let renders through."""
    for infrastructure in RUNNING.values():
        infrastructure.exit(-1, "test ended")
    RUNNING.clear()
    SUBMITTED.clear()
    KILLED.clear()
    REATTACHED.clear()
    RENDER_GATE.set()
    CAN_REATTACH.set()


def leave_running(run_id: str) -> Infrastructure:
    """A job of run ``run_id`` still going after the worker that submitted it died."""
    infrastructure = Infrastructure(MemoryJob(), run_id)
    RUNNING[f"mem-{run_id}"] = infrastructure
    return infrastructure


@hookimpl
def default_base_job_template() -> dict[str, object]:
    """A template of the base job fields."""
    return {
        "job_configuration": {
            "command": "{{ command }}",
            "env": "{{ env }}",
            "labels": "{{ labels }}",
            "name": "{{ name }}",
        },
        "variables": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "default": "echo hello"},
                "env": {"type": "object", "additionalProperties": {"type": "string"}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "name": {"type": "string"},
            },
        },
    }


@hookimpl
def render(configuration: dict[str, object], flow_run: FlowRunInfo) -> MemoryJob:
    """The job; waits while a test holds ``RENDER_GATE`` closed. A job named ``unrenderable`` fails."""
    RENDER_GATE.wait(OBSERVE_TIMEOUT)
    job = MemoryJob.model_validate(configuration)
    if job.name == "unrenderable":
        raise ValueError("this job cannot be rendered")
    return job


@hookimpl
def submit(job: MemoryJob, flow_run: FlowRunInfo) -> Submission:
    """Start the job: record it as running."""
    infrastructure_id = f"mem-{flow_run.id}"
    RUNNING[infrastructure_id] = Infrastructure(job, flow_run.id)
    SUBMITTED.append(flow_run.id)
    return Submission(
        infrastructure_id=infrastructure_id,
        reported_by_engine=job.env.get("MEMORY_ENGINE_REPORTS") == "1",
    )


@hookimpl
def observe(job: MemoryJob, submission: Submission, flow_run: FlowRunInfo) -> ExitStatus:
    """Wait until the job exits; report its code."""
    infrastructure = RUNNING[submission.infrastructure_id]
    if not infrastructure.exited.wait(OBSERVE_TIMEOUT):
        return ExitStatus(code=-1, reason="The test never ended this job.")
    assert infrastructure.code is not None
    return ExitStatus(
        code=infrastructure.code,
        reason=infrastructure.reason,
        final_state=infrastructure.final_state,
    )


@hookimpl
def reattach(infrastructure_id: str, job: MemoryJob, flow_run: FlowRunInfo) -> Submission | None:
    """Find a job submitted earlier; ``InfrastructureNotFound`` when there is none."""
    if not CAN_REATTACH.is_set():
        return None
    if infrastructure_id not in RUNNING:
        raise InfrastructureNotFound(f"No job {infrastructure_id!r}.")
    REATTACHED.append((infrastructure_id, job, flow_run))
    return Submission(infrastructure_id=infrastructure_id)


@hookimpl
def kill(infrastructure_id: str, grace_seconds: float) -> None:
    """Stop the job (exit 143); ``InfrastructureNotFound`` when it is unknown or already ended."""
    infrastructure = RUNNING.get(infrastructure_id)
    if infrastructure is None or infrastructure.exited.is_set():
        raise InfrastructureNotFound(f"No running job {infrastructure_id!r}.")
    KILLED.append(infrastructure_id)
    infrastructure.exit(143, "Killed.")
