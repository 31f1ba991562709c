"""The flow-run state machine: every transition goes through ``set_state``.

Rules (server-enforced, so no client can break them; one guard each in ``state_rules.py``):
- terminal states (COMPLETED, FAILED, CRASHED, CANCELLED) are final unless ``force``;
- PENDING is entered only through a claim (``claim.py``), never by a proposal;
- RUNNING needs the current claim id (a stale claim id is refused even after a hand-back), and
  WAITs until its scheduled time;
- CANCELLING a run that has no infrastructure yet (SCHEDULED) cancels it at once;
- from CANCELLING only CANCELLED is accepted (a CRASHED report becomes CANCELLED);
- SCHEDULED from PENDING hands a claimed run back (the claim id must match).

An accepted RUNNING proposal that names its ``infrastructure_id`` (an engine that knows where it
runs) records it, as ``PATCH /flow_runs/{id}`` does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from flowyard.schemas.common import TERMINAL_STATES, StateType, utcnow
from flowyard.schemas.runs import SetState, SetStateResult
from flowyard.server import models as m
from flowyard.server import tables as t
from flowyard.server.errors import NotFound
from flowyard.server.services.notify import Notifier
from flowyard.server.services.state_rules import RunFacts, first_refusal, resolved_target

DEFAULT_NAMES = {
    StateType.SCHEDULED: "Scheduled",
    StateType.PENDING: "Pending",
    StateType.RUNNING: "Running",
    StateType.COMPLETED: "Completed",
    StateType.FAILED: "Failed",
    StateType.CRASHED: "Crashed",
    StateType.CANCELLING: "Cancelling",
    StateType.CANCELLED: "Cancelled",
}


def get_run_row(conn: sa.Connection, run_id: str) -> m.FlowRun:
    """The run's row. Raises NotFound."""
    row = conn.execute(sa.select(t.flow_run).where(t.flow_run.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"Flow run '{run_id}' not found.", code="flow_run_not_found")
    return m.typed(m.FlowRun, row)


def write_state(
    conn: sa.Connection,
    run: m.FlowRun,
    state_type: StateType,
    name: str | None,
    message: str | None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Apply a state unconditionally and append it to the history (callers check the rules).

    Returns the state's name as stored.
    """
    now = utcnow()
    values: dict[str, Any] = {
        "state_type": state_type.value,
        "state_name": name or DEFAULT_NAMES[state_type],
        "state_message": message,
        "state_timestamp": now,
        "updated": now,
    }
    if state_type is StateType.RUNNING and run.start_time is None:
        values["start_time"] = now
    if state_type in TERMINAL_STATES:
        values["end_time"] = now
    if state_type is not StateType.PENDING:
        values["lease_expires"] = None  # a RUNNING run's liveness lease comes in ``extra``
    values.update(extra or {})
    conn.execute(t.flow_run.update().where(t.flow_run.c.id == run.id).values(**values))
    conn.execute(
        t.flow_run_state.insert().values(
            flow_run_id=run.id,
            type=state_type.value,
            name=values["state_name"],
            message=message,
            timestamp=now,
        )
    )
    return str(values["state_name"])


def _result(
    status: Literal["ACCEPT", "REJECT", "ABORT", "WAIT"],
    run: m.FlowRun,
    reason: str | None = None,
    delay: float | None = None,
) -> SetStateResult:
    return SetStateResult(
        status=status,
        state_type=StateType(run.state_type),
        state_name=run.state_name,
        reason=reason,
        delay_seconds=delay,
    )


def _facts(run: m.FlowRun) -> RunFacts:
    return RunFacts(StateType(run.state_type), run.claim_id, run.scheduled_time)


def _hand_back(conn: sa.Connection, run: m.FlowRun, proposal: SetState) -> str:
    """PENDING -> SCHEDULED ("Rescheduled"): the run is free to be claimed again."""
    return write_state(
        conn,
        run,
        StateType.SCHEDULED,
        proposal.name or "Rescheduled",
        proposal.message,
        {"claim_id": None, "worker_name": None, "infrastructure_id": None},
    )


def _running_lease(run: m.FlowRun, running_lease_seconds: float | None) -> dict[str, Any]:
    """The liveness lease of a claimed run going RUNNING (none for local, unclaimed runs)."""
    if not running_lease_seconds or not run.worker_name:
        return {}
    return {"lease_expires": utcnow() + dt.timedelta(seconds=running_lease_seconds)}


def transition(
    conn: sa.Connection,
    run_id: str,
    proposal: SetState,
    *,
    lease_seconds: float = 60.0,
    running_lease_seconds: float | None = None,
) -> Transition:
    """Propose a transition; returns ACCEPT (applied), ABORT/REJECT (not applied) or WAIT.

    A claimed run (one with a worker) that goes RUNNING gets a liveness lease of
    ``running_lease_seconds``, renewed by its worker's heartbeats and claims.

    ``force`` applies any state but keeps the lease invariants: a forced PENDING run gets a lease
    of ``lease_seconds`` (so lease expiry hands it back if no worker takes it), a forced
    SCHEDULED run is released from its claim. Otherwise the first guard of
    :data:`~flowyard.server.services.state_rules.GUARDS` that refuses decides, and an allowed
    proposal sets :func:`~flowyard.server.services.state_rules.resolved_target`.
    """
    run = get_run_row(conn, run_id)
    if proposal.force:
        extra: dict[str, Any] = {}
        if proposal.type is StateType.PENDING:
            extra["lease_expires"] = utcnow() + dt.timedelta(seconds=lease_seconds)
        elif proposal.type is StateType.SCHEDULED:
            extra = {"claim_id": None, "worker_name": None, "infrastructure_id": None}
        elif proposal.type is StateType.RUNNING:
            extra = _running_lease(run, running_lease_seconds)
        name = write_state(conn, run, proposal.type, proposal.name, proposal.message, extra)
        return _accepted(run, proposal.type, name)
    facts = _facts(run)
    if (
        proposal.type is StateType.RUNNING
        and facts.state is StateType.RUNNING
        and proposal.claim_id is not None
        and proposal.claim_id == facts.claim_id
    ):
        # The engine's start was applied but its answer was lost (a server replica died behind a
        # load balancer) and it retried: accept again, without a second RUNNING state.
        return Transition(_result("ACCEPT", run), run, changed=False)
    refusal = first_refusal(facts, proposal, utcnow())
    if refusal is not None:
        return Transition(
            _result(refusal.status, run, refusal.reason, refusal.delay_seconds), run, False
        )
    if proposal.type is StateType.SCHEDULED:
        return _accepted(run, StateType.SCHEDULED, _hand_back(conn, run, proposal))
    target = resolved_target(StateType(run.state_type), proposal.type)
    given = proposal.name if proposal.type is target else None
    extra = _running_lease(run, running_lease_seconds) if target is StateType.RUNNING else {}
    if target is StateType.RUNNING and proposal.infrastructure_id is not None:
        extra["infrastructure_id"] = proposal.infrastructure_id
    return _accepted(run, target, write_state(conn, run, target, given, proposal.message, extra))


def _accepted(before: m.FlowRun, state_type: StateType, state_name: str) -> Transition:
    """The answer to an applied proposal: the state just written (no need to read it back)."""
    result = SetStateResult(status="ACCEPT", state_type=state_type, state_name=state_name)
    return Transition(result, before, changed=True)


@dataclass(frozen=True)
class Transition:
    """What :func:`transition` did: the answer, the run's row before, whether a state was written."""

    result: SetStateResult
    before: m.FlowRun
    changed: bool

    @property
    def wakes_claimers(self) -> bool:
        """Whether claimers waiting on the run's pool may now see something new.

        A new state can free a slot or a run (leaving PENDING/RUNNING, a hand-back), or change
        what a held run's poll reports (CANCELLING, a released claim). Entering RUNNING does
        neither: a run that was PENDING (or SCHEDULED) takes, if anything, a slot more.
        """
        return self.changed and self.result.state_type is not StateType.RUNNING

    def wake(self, notifier: Notifier) -> None:
        """Wake the claimers of the run's pool (``served`` for a pool-less run) when
        :attr:`wakes_claimers`; call it after the transaction commits."""
        if self.wakes_claimers:
            notifier.notify(self.before.pool_id or "served")
