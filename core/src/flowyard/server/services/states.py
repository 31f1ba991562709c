"""The flow-run state machine: every transition goes through ``set_state``.

Rules (server-enforced, so no client can break them):
- terminal states (COMPLETED, FAILED, CRASHED, CANCELLED) are final unless ``force``;
- PENDING is entered only through a claim (``claim.py``), never by a proposal;
- RUNNING needs the current claim id (a stale claim id is refused even after a hand-back), and
  WAITs until its scheduled time;
- CANCELLING a run that has no infrastructure yet (SCHEDULED) cancels it at once;
- from CANCELLING only CANCELLED is accepted (a CRASHED report becomes CANCELLED);
- SCHEDULED from PENDING hands a claimed run back (the claim id must match).
"""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa

from flowyard.schemas.common import TERMINAL_STATES, StateType, utcnow
from flowyard.schemas.runs import SetState, SetStateResult
from flowyard.server import tables as t
from flowyard.server.errors import NotFound

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


def get_run_row(conn: sa.Connection, run_id: str) -> sa.Row[Any]:
    """The run's row. Raises NotFound."""
    row = conn.execute(sa.select(t.flow_run).where(t.flow_run.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"Flow run '{run_id}' not found.")
    return row


def write_state(
    conn: sa.Connection,
    run: Any,
    state_type: StateType,
    name: str | None,
    message: str | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Apply a state unconditionally and append it to the history (callers check the rules)."""
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
        values["lease_expires"] = None
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


def _result(
    status: Literal["ACCEPT", "REJECT", "ABORT", "WAIT"],
    run: Any,
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


def set_state(conn: sa.Connection, run_id: str, proposal: SetState) -> SetStateResult:
    """Propose a transition; returns ACCEPT (applied), ABORT/REJECT (not applied) or WAIT."""
    run = get_run_row(conn, run_id)
    current = StateType(run.state_type)
    target = proposal.type
    if proposal.force:
        write_state(conn, run, target, proposal.name, proposal.message)
        return _result("ACCEPT", get_run_row(conn, run_id))
    if current in TERMINAL_STATES:
        return _result(
            "ABORT", run, f"This run is already {current.value} and cannot become {target.value}."
        )
    if target is StateType.PENDING:
        return _result(
            "ABORT",
            run,
            "Runs become PENDING only by being claimed (POST /work_pools/{pool}/claim).",
        )
    if target is StateType.RUNNING:
        if current not in (StateType.PENDING, StateType.SCHEDULED):
            return _result("ABORT", run, f"This run is {current.value} and cannot start.")
        if proposal.claim_id != run.claim_id and (run.claim_id or proposal.claim_id):
            # a stale engine (its claim expired and the run was handed back) must not start it
            return _result(
                "ABORT", run, "This run's claim does not match (it was re-claimed or handed back)."
            )
        delay = (run.scheduled_time - utcnow()).total_seconds()
        if delay > 0.05:
            return _result("WAIT", run, "The run's scheduled time has not come yet.", delay)
    if target is StateType.SCHEDULED:
        if current is not StateType.PENDING or (run.claim_id and proposal.claim_id != run.claim_id):
            return _result("ABORT", run, "Only the claiming worker can hand a PENDING run back.")
        write_state(
            conn,
            run,
            target,
            proposal.name or "Rescheduled",
            proposal.message,
            {"claim_id": None, "worker_name": None, "infrastructure_id": None},
        )
        return _result("ACCEPT", get_run_row(conn, run_id))
    if target is StateType.CANCELLING and current is StateType.SCHEDULED:
        target = StateType.CANCELLED
    if current is StateType.CANCELLING and target is not StateType.CANCELLED:
        if target is StateType.CRASHED:
            target = StateType.CANCELLED
        else:
            return _result(
                "REJECT", run, "This run is being cancelled; only CANCELLED is accepted."
            )
    name = proposal.name if proposal.type is target else None
    write_state(conn, run, target, name, proposal.message)
    return _result("ACCEPT", get_run_row(conn, run_id))
