"""The flow-run state machine, one rule at a time (pure guards; no server, no database).

The rules are listed in docs/work-pools.md ("Flow-run states"); the API tests check them end to
end (test_claim.py, test_race.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flowyard.schemas.common import TERMINAL_STATES, StateType
from flowyard.schemas.runs import SetState
from flowyard.server.services.state_rules import (
    GUARDS,
    RunFacts,
    cancelling_ends_cancelled,
    first_refusal,
    hand_back_only_by_claimer,
    pending_only_by_claim,
    resolved_target,
    start_needs_current_claim,
    start_only_from_scheduled_or_pending,
    start_waits_for_scheduled_time,
    terminal_is_final,
)

NOW = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
ALL = list(StateType)
OPEN = [s for s in StateType if s not in TERMINAL_STATES]


def run(state: StateType, claim_id: str | None = "c1", due_in: float = -1) -> RunFacts:
    return RunFacts(state, claim_id, NOW + dt.timedelta(seconds=due_in))


def propose(target: StateType, claim_id: str | None = "c1") -> SetState:
    return SetState(type=target, claim_id=claim_id)


# ----------------------------------------------------------------- terminal states are final


@pytest.mark.parametrize("current", sorted(TERMINAL_STATES))
@pytest.mark.parametrize("target", ALL)
def test_a_terminal_run_refuses_every_state(current: StateType, target: StateType) -> None:
    refusal = terminal_is_final(run(current), propose(target), NOW)
    assert refusal is not None and refusal.status == "ABORT"
    assert refusal.reason == (
        f"This run is already {current.value} and cannot become {target.value}."
    )


@pytest.mark.parametrize("current", OPEN)
@pytest.mark.parametrize("target", ALL)
def test_an_open_run_is_not_held_by_the_terminal_rule(
    current: StateType, target: StateType
) -> None:
    assert terminal_is_final(run(current), propose(target), NOW) is None


# ----------------------------------------------------------------- PENDING only by a claim


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_pending_is_never_accepted_as_a_proposal(current: StateType, target: StateType) -> None:
    refusal = pending_only_by_claim(run(current), propose(target), NOW)
    if target is StateType.PENDING:
        assert refusal is not None and refusal.status == "ABORT"
        assert "only by being claimed" in refusal.reason
    else:
        assert refusal is None


# ----------------------------------------------------------------- RUNNING


@pytest.mark.parametrize(
    ("current", "allowed"),
    [
        (StateType.SCHEDULED, True),
        (StateType.PENDING, True),
        (StateType.RUNNING, False),
        (StateType.CANCELLING, False),
        (StateType.COMPLETED, False),
        (StateType.CANCELLED, False),
    ],
)
def test_running_follows_scheduled_or_pending_only(current: StateType, allowed: bool) -> None:
    refusal = start_only_from_scheduled_or_pending(run(current), propose(StateType.RUNNING), NOW)
    if allowed:
        assert refusal is None
    else:
        assert refusal is not None and refusal.status == "ABORT"
        assert refusal.reason == f"This run is {current.value} and cannot start."


@pytest.mark.parametrize("target", [s for s in ALL if s is not StateType.RUNNING])
def test_other_targets_are_not_held_by_the_start_rule(target: StateType) -> None:
    assert (
        start_only_from_scheduled_or_pending(run(StateType.RUNNING), propose(target), NOW) is None
    )


@pytest.mark.parametrize(
    ("run_claim", "proposed_claim", "allowed"),
    [
        ("c1", "c1", True),
        ("c1", "c2", False),  # re-claimed by someone else
        ("c1", None, False),  # no claim id at all
        (None, "c1", False),  # handed back: the old claim id is stale
        (None, None, True),  # never claimed (a local or served run)
    ],
)
def test_running_needs_the_current_claim_id(
    run_claim: str | None, proposed_claim: str | None, allowed: bool
) -> None:
    refusal = start_needs_current_claim(
        run(StateType.PENDING, run_claim), propose(StateType.RUNNING, proposed_claim), NOW
    )
    if allowed:
        assert refusal is None
    else:
        assert refusal is not None and refusal.status == "ABORT"
        assert "claim does not match" in refusal.reason


def test_the_claim_id_matters_only_for_running() -> None:
    facts = run(StateType.PENDING, "c1")
    assert start_needs_current_claim(facts, propose(StateType.FAILED, "other"), NOW) is None


@pytest.mark.parametrize(
    ("due_in", "waits"), [(5.0, True), (0.06, True), (0.05, False), (0.0, False), (-60.0, False)]
)
def test_running_waits_for_the_scheduled_time(due_in: float, waits: bool) -> None:
    refusal = start_waits_for_scheduled_time(
        run(StateType.PENDING, due_in=due_in), propose(StateType.RUNNING), NOW
    )
    if waits:
        assert refusal is not None and refusal.status == "WAIT"
        assert refusal.delay_seconds == pytest.approx(due_in)
    else:
        assert refusal is None


def test_only_running_waits_for_the_scheduled_time() -> None:
    facts = run(StateType.PENDING, due_in=60)
    assert start_waits_for_scheduled_time(facts, propose(StateType.FAILED), NOW) is None


# ----------------------------------------------------------------- hand-back (SCHEDULED)


@pytest.mark.parametrize(
    ("current", "run_claim", "proposed_claim", "allowed"),
    [
        (StateType.PENDING, "c1", "c1", True),
        (StateType.PENDING, "c1", "c2", False),
        (StateType.PENDING, "c1", None, False),
        (StateType.PENDING, None, "anything", True),  # a run claimed without a claim id
        (StateType.SCHEDULED, None, None, False),
        (StateType.RUNNING, "c1", "c1", False),
        (StateType.CANCELLING, "c1", "c1", False),
    ],
)
def test_only_the_claimer_hands_a_pending_run_back(
    current: StateType, run_claim: str | None, proposed_claim: str | None, allowed: bool
) -> None:
    refusal = hand_back_only_by_claimer(
        run(current, run_claim), propose(StateType.SCHEDULED, proposed_claim), NOW
    )
    if allowed:
        assert refusal is None
    else:
        assert refusal is not None and refusal.status == "ABORT"
        assert refusal.reason == "Only the claiming worker can hand a PENDING run back."


# ----------------------------------------------------------------- CANCELLING


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        (StateType.CANCELLED, True),
        (StateType.CRASHED, True),  # recorded as CANCELLED (resolved_target)
        (StateType.COMPLETED, False),
        (StateType.FAILED, False),
        (StateType.CANCELLING, False),
    ],
)
def test_a_cancelling_run_accepts_only_cancelled(target: StateType, allowed: bool) -> None:
    refusal = cancelling_ends_cancelled(run(StateType.CANCELLING), propose(target), NOW)
    if allowed:
        assert refusal is None
    else:
        assert refusal is not None and refusal.status == "REJECT"
        assert refusal.reason == "This run is being cancelled; only CANCELLED is accepted."


@pytest.mark.parametrize("current", [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING])
def test_other_runs_are_not_held_by_the_cancelling_rule(current: StateType) -> None:
    assert cancelling_ends_cancelled(run(current), propose(StateType.COMPLETED), NOW) is None


@pytest.mark.parametrize(
    ("current", "proposed", "target"),
    [
        (StateType.SCHEDULED, StateType.CANCELLING, StateType.CANCELLED),  # nothing to stop
        (StateType.PENDING, StateType.CANCELLING, StateType.CANCELLING),
        (StateType.RUNNING, StateType.CANCELLING, StateType.CANCELLING),
        (StateType.CANCELLING, StateType.CRASHED, StateType.CANCELLED),
        (StateType.RUNNING, StateType.CRASHED, StateType.CRASHED),
        (StateType.CANCELLING, StateType.CANCELLED, StateType.CANCELLED),
        (StateType.RUNNING, StateType.COMPLETED, StateType.COMPLETED),
    ],
)
def test_resolved_target(current: StateType, proposed: StateType, target: StateType) -> None:
    assert resolved_target(current, proposed) is target


# ----------------------------------------------------------------- order of the guards


def test_guards_are_applied_in_the_documented_order() -> None:
    assert [g.__name__ for g in GUARDS] == [
        "terminal_is_final",
        "pending_only_by_claim",
        "start_only_from_scheduled_or_pending",
        "start_needs_current_claim",
        "start_waits_for_scheduled_time",
        "hand_back_only_by_claimer",
        "cancelling_ends_cancelled",
    ]


@pytest.mark.parametrize(
    ("facts", "proposal", "status", "reason_part"),
    [
        (run(StateType.COMPLETED), propose(StateType.PENDING), "ABORT", "already COMPLETED"),
        (run(StateType.CANCELLING), propose(StateType.RUNNING), "ABORT", "cannot start"),
        (run(StateType.CANCELLING), propose(StateType.SCHEDULED), "ABORT", "hand a PENDING"),
        # a stale claim is refused even when the run is not due yet
        (run(StateType.PENDING, due_in=60), propose(StateType.RUNNING, "x"), "ABORT", "claim"),
        (run(StateType.PENDING, due_in=60), propose(StateType.RUNNING), "WAIT", "not come"),
    ],
)
def test_the_first_refusal_decides(
    facts: RunFacts, proposal: SetState, status: str, reason_part: str
) -> None:
    refusal = first_refusal(facts, proposal, NOW)
    assert refusal is not None and refusal.status == status
    assert reason_part in refusal.reason


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (StateType.SCHEDULED, StateType.RUNNING),
        (StateType.PENDING, StateType.RUNNING),
        (StateType.PENDING, StateType.SCHEDULED),
        (StateType.RUNNING, StateType.COMPLETED),
        (StateType.RUNNING, StateType.FAILED),
        (StateType.RUNNING, StateType.CANCELLING),
        (StateType.SCHEDULED, StateType.CANCELLING),
        (StateType.CANCELLING, StateType.CANCELLED),
        (StateType.PENDING, StateType.CRASHED),
    ],
)
def test_allowed_transitions_pass_every_guard(current: StateType, target: StateType) -> None:
    assert first_refusal(run(current), propose(target), NOW) is None


def _transition(before: StateType, after: StateType, changed: bool = True) -> Any:
    from flowyard.schemas.runs import SetStateResult
    from flowyard.server import models as m
    from flowyard.server.services.states import Transition

    return Transition(
        SetStateResult(status="ACCEPT", state_type=after, state_name=after.value.title()),
        m.FlowRun.model_construct(state_type=before.value, pool_id="p"),
        changed,
    )


@pytest.mark.parametrize("before", [StateType.PENDING, StateType.SCHEDULED])
def test_entering_running_does_not_wake_waiting_claimers(before: StateType) -> None:
    assert not _transition(before, StateType.RUNNING).wakes_claimers


@pytest.mark.parametrize(
    "after", [StateType.SCHEDULED, StateType.CANCELLING, *sorted(TERMINAL_STATES)]
)
def test_a_state_that_frees_a_slot_or_changes_a_held_run_wakes_waiting_claimers(
    after: StateType,
) -> None:
    assert _transition(StateType.RUNNING, after).wakes_claimers


def test_an_answer_that_changed_nothing_wakes_no_claimer() -> None:
    assert not _transition(StateType.RUNNING, StateType.COMPLETED, changed=False).wakes_claimers
