"""The claim waterfall's arithmetic: which due runs a claim takes, within which limits.

Pure functions, no database: :mod:`flowyard.server.services.claim` gives them the pool's and
queues' counts and a way to read each queue's due runs. The rules (docs/work-pools.md, "Claiming"):

* the pool's free slots (its limit minus its PENDING and RUNNING runs) cut the request's
  ``limit``; a paused pool has none;
* queues are visited in priority order (lower first); a paused queue is skipped;
* each queue takes at most the slots still free and its own free slots, earliest runs first;
* what a queue takes is no longer free for the queues after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PoolSlots:
    """A pool's state for one claim."""

    paused: bool
    limit: int | None
    """The pool's concurrency limit (``None``: unlimited)."""
    active: int
    """PENDING + RUNNING runs in the pool."""


@dataclass(frozen=True)
class QueueSlots:
    """One queue's state for one claim."""

    id: str
    paused: bool
    limit: int | None
    """The queue's concurrency limit (``None``: unlimited)."""
    active: int
    """PENDING + RUNNING runs in the queue."""


DueRuns = Callable[[str, int], Sequence[str]]
"""``due(queue_id, n)``: the ids of at most ``n`` due runs of a queue, earliest first."""


def free_slots(limit: int | None, active: int) -> int | None:
    """Slots left under ``limit`` (never negative); ``None`` when there is no limit."""
    if limit is None:
        return None
    return max(0, limit - active)


def pool_budget(pool: PoolSlots, requested: int) -> int:
    """How many runs one claim may take in all: the request, cut to the pool's free slots."""
    if pool.paused:
        return 0
    free = free_slots(pool.limit, pool.active)
    return requested if free is None else min(requested, free)


def queue_allowance(queue: QueueSlots, remaining: int) -> int:
    """How many runs ``queue`` may take when ``remaining`` slots of the claim are left."""
    if queue.paused or remaining <= 0:
        return 0
    free = free_slots(queue.limit, queue.active)
    return remaining if free is None else min(remaining, free)


def waterfall(queues: Sequence[QueueSlots], budget: int, due: DueRuns) -> list[str]:
    """The runs to claim, in claim order: queues in the given (priority) order, each cut to its
    allowance. ``due`` is asked only for queues that may take something, and never after the
    budget is spent."""
    chosen: list[str] = []
    remaining = budget
    for queue in queues:
        if remaining <= 0:
            break
        take = queue_allowance(queue, remaining)
        if take <= 0:
            continue
        ids = list(due(queue.id, take))[:take]
        chosen.extend(ids)
        remaining -= len(ids)
    return chosen
