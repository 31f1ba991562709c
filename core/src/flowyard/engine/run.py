"""Execute one deployed flow run (see :mod:`flowyard.engine`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING

from flowyard.engine import handoff
from flowyard.errors import FlowyardError

if TYPE_CHECKING:
    from flowyard.client import FlowyardClient
    from flowyard.schemas.common import StateType
    from flowyard.schemas.runs import Deployment

# The client, the API models (pydantic) and the flow SDK are imported in run(), once there is a
# run to execute: a misconfigured start (no run id) answers without them.

COMPLETED, FAILED, MISCONFIGURED, TERMINATED = 0, 1, 2, 143


class Terminated(BaseException):
    """SIGTERM arrived (the run is being cancelled): unwind the flow, flush logs, exit 143."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def _start(
    client: FlowyardClient, run_id: str, claim_id: str | None, infrastructure_id: str | None
) -> bool:
    """Propose RUNNING (naming where it runs, when the worker said), sleeping through WAIT
    answers; False when the server says not to run."""
    from flowyard.schemas.common import StateType
    from flowyard.schemas.runs import SetState

    proposal = SetState(
        type=StateType.RUNNING, claim_id=claim_id, infrastructure_id=infrastructure_id
    )
    while True:
        result = client.set_state(run_id, proposal)
        if result.status == "ACCEPT":
            return True
        if result.status == "WAIT":
            time.sleep(min(max(result.delay_seconds or 0.1, 0.05), 60))
            continue
        sys.stderr.write(f"flowyard engine: not running flow run {run_id}: {result.reason}\n")
        return False


class _Background:
    """A deployment read in a thread while the engine reads its run (one round trip less)."""

    def __init__(self, client: FlowyardClient, deployment_id: str) -> None:
        self.deployment_id = deployment_id
        self._deployment: Deployment | None = None
        self._thread = threading.Thread(target=self._read, args=(client,), daemon=True)
        self._thread.start()

    def _read(self, client: FlowyardClient) -> None:
        with contextlib.suppress(Exception):  # the engine then reads it again, and reports why
            self._deployment = client.read_deployment(self.deployment_id)

    def result(self, deployment_id: str) -> Deployment | None:
        """The deployment, when it is the run's and could be read; else None."""
        self._thread.join()
        return self._deployment if deployment_id == self.deployment_id else None


def _read_in_background(client: FlowyardClient, deployment_id: str | None) -> _Background | None:
    """Start reading the deployment the worker named (``FLOWYARD_DEPLOYMENT_ID``), if it did."""
    return _Background(client, deployment_id) if deployment_id else None


def _finish(
    client: FlowyardClient, run_id: str, state: StateType, message: str, result_file: str | None
) -> None:
    """Propose the run's final state; record the one the server accepted for the worker."""
    from flowyard.flows.execution import report

    answer = report(client, run_id, state, message)
    if answer.status == "ACCEPT":
        handoff.write_result(result_file, answer.state_type.value)


def _from_api(client: FlowyardClient, run_id: str) -> handoff.Handoff | None:
    """What the engine needs, read from the server (the run, then or alongside its deployment);
    None when the run has no deployment."""
    expected = _read_in_background(client, os.environ.get("FLOWYARD_DEPLOYMENT_ID") or None)
    flow_run = client.read_flow_run(run_id)
    if not flow_run.deployment_id:
        return None
    deployment = expected.result(flow_run.deployment_id) if expected else None
    if deployment is None:
        deployment = client.read_deployment(flow_run.deployment_id)
    return handoff.Handoff(
        flow_run_id=run_id,
        deployment_id=flow_run.deployment_id,
        parameters=flow_run.parameters,
        entrypoint=deployment.entrypoint,
        path=deployment.path,
    )


def run(run_id: str, claim_id: str | None) -> int:
    """Run flow run ``run_id`` to a final state; returns the process exit code."""
    from flowyard.engine.retry import RetryingClient
    from flowyard.flows.entrypoint import load
    from flowyard.flows.execution import describe, execute
    from flowyard.flows.flow import Flow
    from flowyard.schemas.common import StateType

    signal.signal(signal.SIGTERM, _on_sigterm)
    given = handoff.take(run_id)  # the worker's copy of the run and deployment, if it passed one
    result_file = handoff.take_result_file()
    infrastructure_id = handoff.take_infrastructure_id()
    with RetryingClient() as client:  # rides out a server outage or a replica going away
        plan = given or _from_api(client, run_id)
        if plan is None:
            sys.stderr.write(f"flowyard engine: flow run {run_id} has no deployment to load.\n")
            return MISCONFIGURED
        if not plan.entrypoint:
            message = "The deployment has no entrypoint to run."
            _finish(client, run_id, StateType.FAILED, message, result_file)
            return FAILED
        try:
            target = load(plan.entrypoint, plan.path)
        except Exception as exc:  # the user's module failed to import: the run failed
            message = f"Could not load entrypoint {plan.entrypoint!r}: {describe(exc)}"
            sys.stderr.write(message + "\n")
            _finish(client, run_id, StateType.FAILED, message, result_file)
            return FAILED
        flow = target if isinstance(target, Flow) else Flow(target)
        if not _start(client, run_id, claim_id, infrastructure_id):
            return COMPLETED
        try:
            outcome = execute(flow, plan.parameters, run_id, client)
        except Terminated:
            sys.stderr.write("flowyard engine: terminated (the run is being cancelled).\n")
            return TERMINATED
        _finish(client, run_id, outcome.state, outcome.message, result_file)
        return COMPLETED if outcome.state is StateType.COMPLETED else FAILED


def main() -> int:
    """Entry point of ``python -m flowyard.engine``."""
    scratch = handoff.take_scratch_dir()  # removed when the engine ends, whoever is left
    try:
        run_id = os.environ.get("FLOWYARD_FLOW_RUN_ID")
        if not run_id:
            sys.stderr.write(
                "flowyard engine: FLOWYARD_FLOW_RUN_ID is not set; the engine runs flow runs "
                "handed out by a worker (`flowyard worker start`).\n"
            )
            return MISCONFIGURED
        try:
            return run(run_id, os.environ.get("FLOWYARD_CLAIM_ID") or None)
        except FlowyardError as exc:
            sys.stderr.write(f"flowyard engine: {exc}\n")
            return MISCONFIGURED
    finally:
        handoff.remove_scratch_dir(scratch)
