"""Atomic claims: one transaction picks eligible runs in waterfall order within limits.

Order: queue priority (lower first), then scheduled time. The request's ``limit`` is cut to the
pool's free slots, and each queue to its own free slots (limit - PENDING - RUNNING); that
arithmetic is :mod:`flowyard.server.services.waterfall`. Claimed runs become PENDING with a claim
id and a lease. On PostgreSQL the pool row is locked (``FOR UPDATE``) for the transaction, so
concurrent claimers of one pool queue up and see each other's claims; on SQLite the write
transaction (``BEGIN IMMEDIATE``) does the same. So no run is handed out twice and no limit is
exceeded, however many workers race. :func:`preview` (``dry_run``) shows the same selection
without a lock or a write.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import sqlalchemy as sa

from flowyard.schemas.common import StateType, utcnow
from flowyard.schemas.runs import ClaimRequest
from flowyard.server import models as m
from flowyard.server import tables as t
from flowyard.server.errors import NotFound
from flowyard.server.services.claimed import Claim, record_pending
from flowyard.server.services.ids import new_id
from flowyard.server.services.pools import PoolHead, active_counts, get_pool_row
from flowyard.server.services.waterfall import (
    DueRuns,
    PoolSlots,
    QueueSlots,
    pool_budget,
    waterfall,
)


class QueueRow(NamedTuple):
    """What a claim reads of a queue (a row of ``_QUEUES``; built without validation)."""

    id: str
    name: str
    priority: int
    concurrency_limit: int | None
    is_paused: bool
    has_due: bool = True
    """Read with ``_QUEUES_DUE``: the queue has a due run (``True`` when not read)."""


# The claim's hot statements are built once, with bound parameters: building a statement's
# clauses on every call cost more than running it.
_QUEUES = (
    sa.select(
        t.work_queue.c.id,
        t.work_queue.c.name,
        t.work_queue.c.priority,
        t.work_queue.c.concurrency_limit,
        t.work_queue.c.is_paused,
    )
    .where(t.work_queue.c.pool_id == sa.bindparam("pool_id"))
    .order_by(t.work_queue.c.priority)
)
# the same, with whether each queue has a due run (an index probe per queue, in one statement):
# the waterfall reads only the queues that have one, instead of every empty queue before them
_QUEUES_DUE = _QUEUES.add_columns(
    sa.exists()
    .where(
        t.flow_run.c.queue_id == t.work_queue.c.id,
        t.flow_run.c.state_type == StateType.SCHEDULED.value,
        t.flow_run.c.scheduled_time <= sa.bindparam("due"),
    )
    .label("has_due")
)

# any due run in a queue that is not paused: the read-only check before a claim's write lock
_ANY_DUE = (
    sa.select(t.flow_run.c.id)
    .join(t.work_queue, t.work_queue.c.id == t.flow_run.c.queue_id)
    .where(
        t.flow_run.c.pool_id == sa.bindparam("pool_id"),
        t.flow_run.c.state_type == StateType.SCHEDULED.value,
        t.flow_run.c.scheduled_time <= sa.bindparam("due"),
        t.work_queue.c.is_paused.is_(False),
    )
    .limit(1)
)

_DUE_IN_QUEUE = (
    sa.select(t.flow_run.c.id)
    .where(
        t.flow_run.c.queue_id == sa.bindparam("queue_id"),
        t.flow_run.c.state_type == StateType.SCHEDULED.value,
        t.flow_run.c.scheduled_time <= sa.bindparam("due"),
    )
    .order_by(t.flow_run.c.scheduled_time, t.flow_run.c.id)
    .limit(sa.bindparam("take", type_=sa.Integer))
)
# Claimers are already serialised by the pool-row lock, so SKIP LOCKED would only skip runs that
# another writer (late marker, a cancel) holds for a moment, and hand out a lower-priority run
# instead. Wait for those short transactions; FOR UPDATE re-checks the state of a run that
# changed meanwhile (PostgreSQL).
_DUE_IN_QUEUE_LOCKED = _DUE_IN_QUEUE.with_for_update()


def _selected_queues(
    conn: sa.Connection,
    pool: m.WorkPool | PoolHead,
    names: list[str],
    due: dt.datetime | None = None,
) -> list[QueueRow]:
    """The pool's queues in priority order (those in ``names``, when given; an unknown name
    raises NotFound); with ``due``, each says whether it has a run due by then."""
    if due is None:
        rows = conn.execute(_QUEUES, {"pool_id": pool.id})
    else:
        rows = conn.execute(_QUEUES_DUE, {"pool_id": pool.id, "due": due})
    queues = [QueueRow(*row) for row in rows]
    if names:
        known = {q.name for q in queues}
        missing = sorted(set(names) - known)
        if missing:
            raise NotFound(
                f"Work queue(s) {', '.join(repr(m) for m in missing)} not found in pool '{pool.name}'.",
                code="work_queue_not_found",
            )
        queues = [q for q in queues if q.name in set(names)]
    return queues


def anything_due(conn: sa.Connection, pool: m.WorkPool | PoolHead, request: ClaimRequest) -> bool:
    """Cheap read-only check: is any run of the selected queues due? (skips the write lock).

    :param pool: the pool's row (or head); unknown queue names raise NotFound as in
        :func:`claim`.
    """
    if pool.is_paused:
        return False
    due = utcnow() + dt.timedelta(seconds=request.prefetch_seconds)
    if not request.work_queue_names:  # every queue of the pool: one statement
        return conn.execute(_ANY_DUE, {"pool_id": pool.id, "due": due}).first() is not None
    queues = [
        q.id for q in _selected_queues(conn, pool, request.work_queue_names) if not q.is_paused
    ]
    if not queues:
        return False
    query = (
        sa.select(t.flow_run.c.id)
        .where(
            t.flow_run.c.pool_id == pool.id,
            t.flow_run.c.state_type == StateType.SCHEDULED.value,
            t.flow_run.c.scheduled_time <= due,
            t.flow_run.c.queue_id.in_(queues),
        )
        .limit(1)
    )
    return conn.execute(query).first() is not None


def _queue_slots(queues: list[QueueRow], counts: dict[str | None, int]) -> list[QueueSlots]:
    return [
        QueueSlots(q.id, bool(q.is_paused), q.concurrency_limit, counts.get(q.id, 0))
        for q in queues
    ]


def _due_runs(
    conn: sa.Connection, due: dt.datetime, lock: bool, nothing_due: frozenset[str]
) -> DueRuns:
    """Reads a queue's earliest due runs; ``lock`` takes their row locks (PostgreSQL).
    ``nothing_due``: queues known to have no due run in this transaction (not read)."""
    query = _DUE_IN_QUEUE_LOCKED if lock and conn.dialect.name == "postgresql" else _DUE_IN_QUEUE

    def read(queue_id: str, take: int) -> list[str]:
        if queue_id in nothing_due:
            return []
        return [r[0] for r in conn.execute(query, {"queue_id": queue_id, "due": due, "take": take})]

    return read


def _choose(
    conn: sa.Connection,
    pool: m.WorkPool,
    queues: list[QueueRow],
    request: ClaimRequest,
    now: dt.datetime,
    *,
    lock: bool,
) -> list[str]:
    """The ids of the runs the waterfall picks for ``request`` (nothing is changed)."""
    if pool.is_paused or request.limit == 0:
        return []
    # the counts only matter under a limit: an unlimited pool and queues skip the count, which
    # costs in proportion to the pool's PENDING and RUNNING runs
    limited = pool.concurrency_limit is not None or any(
        q.concurrency_limit is not None for q in queues
    )
    counts = active_counts(conn, pool.id) if limited else {}
    budget = pool_budget(
        PoolSlots(bool(pool.is_paused), pool.concurrency_limit, sum(counts.values())),
        request.limit,
    )
    due = now + dt.timedelta(seconds=request.prefetch_seconds)
    nothing_due = frozenset(q.id for q in queues if not q.has_due)
    return waterfall(_queue_slots(queues, counts), budget, _due_runs(conn, due, lock, nothing_due))


def _mark_polled(conn: sa.Connection, queues: list[QueueRow], now: dt.datetime) -> None:
    conn.execute(
        t.work_queue.update()
        .where(t.work_queue.c.id.in_([q.id for q in queues]))
        .values(last_polled=now)
    )


_TO_PENDING = (
    t.flow_run.update()
    .where(
        t.flow_run.c.id == sa.bindparam("b_id"),
        t.flow_run.c.state_type == StateType.SCHEDULED.value,
    )
    .values(
        state_type=StateType.PENDING.value,
        state_name="Pending",
        state_message=None,
        state_timestamp=sa.bindparam("b_now"),
        updated=sa.bindparam("b_now"),
        claim_id=sa.bindparam("b_claim"),
        lease_expires=sa.bindparam("b_lease"),
        worker_name=sa.bindparam("b_worker"),
    )
)


def _move_to_pending(
    conn: sa.Connection, chosen: list[str], worker_name: str, now: dt.datetime, lease_seconds: float
) -> list[Claim]:
    """SCHEDULED -> PENDING with a fresh claim id and lease each, plus their history entries."""
    lease = now + dt.timedelta(seconds=lease_seconds)
    claims = [(run_id, new_id(), lease) for run_id in chosen]
    shared = {"b_now": now, "b_lease": lease, "b_worker": worker_name}
    conn.execute(
        _TO_PENDING,
        [{"b_id": run_id, "b_claim": claim_id, **shared} for run_id, claim_id, _ in claims],
    )
    record_pending(conn, chosen, f"Claimed by worker '{worker_name}'", now)
    return claims


def claim(
    conn: sa.Connection,
    pool_name: str,
    request: ClaimRequest,
    lease_seconds: float,
    *,
    pool: m.WorkPool | None = None,
    mark_polled: bool = True,
) -> list[Claim]:
    """Claim up to ``request.limit`` runs; returns (run id, claim id, lease expiry) in claim order.

    Call it in a write transaction: it locks the pool row (PostgreSQL), records the poll on the
    selected queues and moves the chosen runs to PENDING. A ``dry_run`` request is a
    :func:`preview` instead.

    :param pool: the pool's row, already locked by the caller in this transaction (saves reading
        it again); ``None``: read and lock it here.
    :param mark_polled: set the selected queues' ``last_polled``; ``False`` when the caller
        recorded this poll already (the claim endpoint does, before it claims).
    """
    if request.dry_run:
        return preview(conn, pool or get_pool_row(conn, pool_name), request)
    if pool is None:
        pool = get_pool_row(conn, pool_name, lock=True)
    now = utcnow()
    due = now + dt.timedelta(seconds=request.prefetch_seconds)
    queues = _selected_queues(conn, pool, request.work_queue_names, due)
    if mark_polled:
        _mark_polled(conn, queues, now)
    chosen = _choose(conn, pool, queues, request, now, lock=True)
    if not chosen:
        return []
    return _move_to_pending(conn, chosen, request.worker_name, now, lease_seconds)


def preview(conn: sa.Connection, pool: m.WorkPool, request: ClaimRequest) -> list[Claim]:
    """What :func:`claim` would take now, read-only (``dry_run``): no lock, no write, no poll.

    Each item has an empty claim id and the current time as its lease expiry.

    :param pool: the pool's row; unknown queue names raise NotFound as in :func:`claim`.
    """
    now = utcnow()
    due = now + dt.timedelta(seconds=request.prefetch_seconds)
    queues = _selected_queues(conn, pool, request.work_queue_names, due)
    return [(run_id, "", now) for run_id in _choose(conn, pool, queues, request, now, lock=False)]


def watch_held(
    conn: sa.Connection,
    pool_id: str | None,
    worker_name: str,
    run_ids: list[str],
    lease_seconds: float,
    running_lease_seconds: float | None = None,
) -> tuple[list[str], list[str]]:
    """Renew the leases of the runs a claimer holds; return which are CANCELLING and which are lost."""
    from flowyard.server.services.workers import renew_leases

    renew_leases(conn, pool_id, worker_name, run_ids, lease_seconds, running_lease_seconds)
    return held_status(conn, worker_name, run_ids)


def held_status(
    conn: sa.Connection, worker_name: str, run_ids: list[str]
) -> tuple[list[str], list[str]]:
    """Of the runs a worker holds: which are CANCELLING, and which are no longer its own."""
    if not run_ids:
        return [], []
    rows = conn.execute(
        sa.select(t.flow_run.c.id, t.flow_run.c.state_type, t.flow_run.c.worker_name).where(
            t.flow_run.c.id.in_(run_ids)
        )
    ).all()
    cancelling = [r.id for r in rows if r.state_type == StateType.CANCELLING.value]
    found = {r.id for r in rows if r.worker_name == worker_name}
    lost = sorted(set(run_ids) - found)
    return cancelling, lost
