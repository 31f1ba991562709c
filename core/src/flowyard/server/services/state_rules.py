"""The flow-run state machine's rules: one guard per rule, pure (no database).

A guard reads the run's current state and the proposal and returns a :class:`Refusal` (ABORT,
REJECT or WAIT, with the reason) or ``None`` when its rule has nothing against the proposal.
:data:`GUARDS` lists them in the order :func:`first_refusal` applies them; a proposal none of
them refuses is accepted, with the target :func:`resolved_target` gives. ``force`` bypasses all
of them (:func:`flowyard.server.services.states.transition`). The rules are described in
docs/work-pools.md ("Flow-run states").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flowyard.schemas.common import TERMINAL_STATES, StateType
from flowyard.schemas.runs import SetState

WAIT_TOLERANCE_SECONDS = 0.05
"""A run due within this many seconds may start now."""
STARTABLE = frozenset({StateType.SCHEDULED, StateType.PENDING})
"""The states RUNNING may follow."""
ENDS_CANCELLING = frozenset({StateType.CANCELLED, StateType.CRASHED})
"""What a CANCELLING run accepts (CRASHED is recorded as CANCELLED)."""


@dataclass(frozen=True)
class RunFacts:
    """What the rules read of a run."""

    state: StateType
    claim_id: str | None
    scheduled_time: dt.datetime


@dataclass(frozen=True)
class Refusal:
    """A proposal not applied: ABORT (never valid), REJECT (not now) or WAIT (retry later)."""

    status: Literal["ABORT", "REJECT", "WAIT"]
    reason: str
    delay_seconds: float | None = None


Guard = Callable[[RunFacts, SetState, dt.datetime], Refusal | None]
"""``guard(run, proposal, now)``: a refusal, or ``None`` when the rule allows the proposal."""


def terminal_is_final(run: RunFacts, proposal: SetState, now: dt.datetime) -> Refusal | None:
    """COMPLETED, FAILED, CRASHED and CANCELLED runs never change state."""
    if run.state in TERMINAL_STATES:
        return Refusal(
            "ABORT",
            f"This run is already {run.state.value} and cannot become {proposal.type.value}.",
        )
    return None


def pending_only_by_claim(run: RunFacts, proposal: SetState, now: dt.datetime) -> Refusal | None:
    """PENDING is entered only by a claim, never by a proposal."""
    if proposal.type is StateType.PENDING:
        return Refusal(
            "ABORT", "Runs become PENDING only by being claimed (POST /work_pools/{pool}/claim)."
        )
    return None


def start_only_from_scheduled_or_pending(
    run: RunFacts, proposal: SetState, now: dt.datetime
) -> Refusal | None:
    """RUNNING follows SCHEDULED or PENDING only (a CANCELLING run cannot start)."""
    if proposal.type is StateType.RUNNING and run.state not in STARTABLE:
        return Refusal("ABORT", f"This run is {run.state.value} and cannot start.")
    return None


def start_needs_current_claim(
    run: RunFacts, proposal: SetState, now: dt.datetime
) -> Refusal | None:
    """RUNNING needs the run's current claim id: a stale engine (its claim expired and the run
    was handed back or re-claimed) must not start it. A run with no claim id accepts none."""
    if (
        proposal.type is StateType.RUNNING
        and proposal.claim_id != run.claim_id
        and (run.claim_id or proposal.claim_id)
    ):
        return Refusal(
            "ABORT", "This run's claim does not match (it was re-claimed or handed back)."
        )
    return None


def start_waits_for_scheduled_time(
    run: RunFacts, proposal: SetState, now: dt.datetime
) -> Refusal | None:
    """RUNNING before the scheduled time (a prefetched run) waits until then."""
    if proposal.type is not StateType.RUNNING:
        return None
    delay = (run.scheduled_time - now).total_seconds()
    if delay > WAIT_TOLERANCE_SECONDS:
        return Refusal("WAIT", "The run's scheduled time has not come yet.", delay)
    return None


def hand_back_only_by_claimer(
    run: RunFacts, proposal: SetState, now: dt.datetime
) -> Refusal | None:
    """SCHEDULED is a hand-back: only of a PENDING run, with its claim id when it has one."""
    if proposal.type is not StateType.SCHEDULED:
        return None
    if run.state is not StateType.PENDING or (run.claim_id and proposal.claim_id != run.claim_id):
        return Refusal("ABORT", "Only the claiming worker can hand a PENDING run back.")
    return None


def cancelling_ends_cancelled(
    run: RunFacts, proposal: SetState, now: dt.datetime
) -> Refusal | None:
    """A CANCELLING run accepts only CANCELLED (and CRASHED, recorded as CANCELLED)."""
    if run.state is StateType.CANCELLING and proposal.type not in ENDS_CANCELLING:
        return Refusal("REJECT", "This run is being cancelled; only CANCELLED is accepted.")
    return None


GUARDS: tuple[Guard, ...] = (
    terminal_is_final,
    pending_only_by_claim,
    start_only_from_scheduled_or_pending,
    start_needs_current_claim,
    start_waits_for_scheduled_time,
    hand_back_only_by_claimer,
    cancelling_ends_cancelled,
)


def first_refusal(run: RunFacts, proposal: SetState, now: dt.datetime) -> Refusal | None:
    """The first guard's refusal, in :data:`GUARDS` order; ``None`` when all allow it."""
    for guard in GUARDS:
        refusal = guard(run, proposal, now)
        if refusal is not None:
            return refusal
    return None


def resolved_target(current: StateType, proposed: StateType) -> StateType:
    """The state an allowed proposal actually sets.

    CANCELLING a run that has no infrastructure yet (SCHEDULED) cancels it at once; a CRASHED
    report for a CANCELLING run records the cancellation.
    """
    if proposed is StateType.CANCELLING and current is StateType.SCHEDULED:
        return StateType.CANCELLED
    if proposed is StateType.CRASHED and current is StateType.CANCELLING:
        return StateType.CANCELLED
    return proposed
