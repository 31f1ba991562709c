"""The claim waterfall's arithmetic as pure functions (no server, no database).

The vectors A-J are the ordering and limit vectors of docs/work-pools.md ("Claiming"); the same
vectors run against the live API, on both databases, in test_claim.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
from flowyard.server.services.waterfall import (
    PoolSlots,
    QueueSlots,
    free_slots,
    pool_budget,
    queue_allowance,
    waterfall,
)

QUEUES = ["high", "default", "mid", "brand-new-queue", "low"]  # priorities 1, 2, 3, 4, 10
RUNS = {  # name: (queue, seconds from now)
    "d1": ("default", -120),
    "d2": ("default", -60),
    "h1": ("high", -30),
    "h2": ("high", -10),
    "m1": ("mid", -200),
    "l1": ("low", -300),
    "future": ("high", 3600),
    "newq": ("brand-new-queue", -5),
}


@dataclass
class Scene:
    """Pool-a at one moment: run states, limits, pauses, and what the claim asks for."""

    states: dict[str, str] = field(default_factory=dict)  # default SCHEDULED
    queue_limits: dict[str, int] = field(default_factory=dict)
    paused_queues: set[str] = field(default_factory=set)
    pool_limit: int | None = None
    pool_paused: bool = False
    queue_names: list[str] = field(default_factory=list)  # empty: every queue
    due_within: float = 10  # prefetch seconds


def pick(scene: Scene, requested: int = 100) -> list[str]:
    """What a claim takes in ``scene``: the waterfall over pool-a's queues and runs."""
    active = Counter(
        RUNS[run][0] for run, state in scene.states.items() if state in ("PENDING", "RUNNING")
    )
    pool = PoolSlots(scene.pool_paused, scene.pool_limit, sum(active.values()))
    queues = [
        QueueSlots(q, q in scene.paused_queues, scene.queue_limits.get(q), active[q])
        for q in QUEUES
        if not scene.queue_names or q in scene.queue_names
    ]

    def due(queue: str, n: int) -> list[str]:
        runs = [
            (offset, run)
            for run, (q, offset) in RUNS.items()
            if q == queue
            and scene.states.get(run, "SCHEDULED") == "SCHEDULED"
            and offset <= scene.due_within
        ]
        return [run for _, run in sorted(runs)[:n]]

    return waterfall(queues, pool_budget(pool, requested), due)


D = {"queue_limits": {"default": 1}}
E = {**D, "states": {"d1": "PENDING"}}
F = {**E, "pool_limit": 3}
G = {**F, "states": {"d1": "PENDING", "h1": "CANCELLING"}}
H = {**G, "pool_limit": None}
I = {**H, "paused_queues": {"mid"}}  # noqa: E741
J = {**I, "pool_paused": True}


@pytest.mark.parametrize(
    ("vector", "scene", "expected"),
    [
        ("A", Scene(), ["h1", "h2", "d1", "d2", "m1", "newq", "l1"]),
        ("B", Scene(queue_names=["low", "default"]), ["d1", "d2", "l1"]),
        ("C", Scene(due_within=7200), ["h1", "h2", "future", "d1", "d2", "m1", "newq", "l1"]),
        ("D", Scene(**D), ["h1", "h2", "d1", "m1", "newq", "l1"]),
        ("E", Scene(**E), ["h1", "h2", "m1", "newq", "l1"]),
        ("F", Scene(**F), ["h1", "h2"]),
        ("G", Scene(**G), ["h2", "m1"]),
        ("H", Scene(**H), ["h2", "m1", "newq", "l1"]),
        ("I", Scene(**I), ["h2", "newq", "l1"]),
        ("J", Scene(**J), []),
    ],
    ids=list("ABCDEFGHIJ"),
)
def test_ordering_and_limit_vector(vector: str, scene: Scene, expected: list[str]) -> None:
    assert pick(scene) == expected


@pytest.mark.parametrize(
    ("limit", "active", "free"), [(None, 7, None), (3, 1, 2), (3, 3, 0), (2, 5, 0), (0, 0, 0)]
)
def test_free_slots_are_the_limit_minus_active_never_negative(
    limit: int | None, active: int, free: int | None
) -> None:
    assert free_slots(limit, active) == free


@pytest.mark.parametrize(
    ("pool", "requested", "budget"),
    [
        (PoolSlots(paused=False, limit=None, active=50), 10, 10),
        (PoolSlots(paused=False, limit=3, active=1), 10, 2),
        (PoolSlots(paused=False, limit=3, active=1), 1, 1),
        (PoolSlots(paused=False, limit=3, active=4), 10, 0),
        (PoolSlots(paused=True, limit=None, active=0), 10, 0),
        (PoolSlots(paused=False, limit=None, active=0), 0, 0),
    ],
)
def test_pool_budget_cuts_the_request_to_the_pools_free_slots(
    pool: PoolSlots, requested: int, budget: int
) -> None:
    assert pool_budget(pool, requested) == budget


@pytest.mark.parametrize(
    ("queue", "remaining", "allowance"),
    [
        (QueueSlots("q", paused=False, limit=None, active=9), 4, 4),
        (QueueSlots("q", paused=False, limit=2, active=0), 4, 2),
        (QueueSlots("q", paused=False, limit=5, active=4), 4, 1),
        (QueueSlots("q", paused=False, limit=1, active=1), 4, 0),
        (QueueSlots("q", paused=True, limit=None, active=0), 4, 0),
        (QueueSlots("q", paused=False, limit=None, active=0), 0, 0),
    ],
)
def test_queue_allowance_is_the_smaller_of_remaining_and_its_free_slots(
    queue: QueueSlots, remaining: int, allowance: int
) -> None:
    assert queue_allowance(queue, remaining) == allowance


def test_a_queue_with_fewer_due_runs_leaves_its_slots_to_the_next() -> None:
    queues = [QueueSlots("a", False, None, 0), QueueSlots("b", False, None, 0)]
    due = {"a": ["a1"], "b": ["b1", "b2", "b3"]}
    assert waterfall(queues, 3, lambda q, n: due[q][:n]) == ["a1", "b1", "b2"]


def test_due_runs_are_read_only_while_budget_is_left_and_only_as_many_as_allowed() -> None:
    asked: list[tuple[str, int]] = []
    queues = [
        QueueSlots("full", False, 1, 1),
        QueueSlots("a", False, 2, 0),
        QueueSlots("b", False, None, 0),
        QueueSlots("c", False, None, 0),
    ]

    def due(queue: str, n: int) -> list[str]:
        asked.append((queue, n))
        return [f"{queue}{i}" for i in range(n)]

    assert waterfall(queues, 3, due) == ["a0", "a1", "b0"]
    assert asked == [("a", 2), ("b", 1)]
