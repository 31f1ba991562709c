"""Workers: heartbeats (which also renew claim leases), listing, liveness."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from flowyard.schemas.common import StateType, WorkerStatus, utcnow
from flowyard.schemas.pools import Heartbeat, Worker
from flowyard.server import models as m
from flowyard.server import tables as t
from flowyard.server.errors import NotFound
from flowyard.server.services.ids import new_id
from flowyard.server.services.poll_memo import RECORD_EVERY_SECONDS
from flowyard.server.services.pools import get_pool_row, worker_is_online


def heartbeat(
    conn: sa.Connection,
    pool_name: str,
    body: Heartbeat,
    lease_seconds: float,
    running_lease_seconds: float | None = None,
) -> None:
    """Record a heartbeat (upsert by pool + name) and renew the leases of the runs it holds."""
    pool = get_pool_row(conn, pool_name)
    now = utcnow()
    values = {
        "last_heartbeat": now,
        "heartbeat_interval_seconds": body.heartbeat_interval_seconds,
        "worker_type": body.worker_type,
        "run_limit": body.run_limit,
    }
    updated = conn.execute(
        t.worker.update()
        .where(t.worker.c.pool_id == pool.id, t.worker.c.name == body.name)
        .values(**values)
    ).rowcount
    if not updated:
        conn.execute(
            t.worker.insert().values(
                id=new_id(), pool_id=pool.id, name=body.name, created=now, **values
            )
        )
    renew_leases(conn, pool.id, body.name, body.held_run_ids, lease_seconds, running_lease_seconds)


def renew_leases(
    conn: sa.Connection,
    pool_id: str | None,
    worker_name: str,
    run_ids: list[str],
    lease_seconds: float,
    running_lease_seconds: float | None = None,
) -> None:
    """Extend the leases of the runs this worker holds (``pool_id`` None: served runs): the claim
    lease of PENDING runs and, with ``running_lease_seconds``, the liveness lease of RUNNING ones.
    """
    if not run_ids:
        return
    held = (
        t.flow_run.c.id.in_(run_ids),
        t.flow_run.c.pool_id == pool_id if pool_id else t.flow_run.c.pool_id.is_(None),
        t.flow_run.c.worker_name == worker_name,
    )
    now = utcnow()
    conn.execute(
        t.flow_run.update()
        .where(*held, t.flow_run.c.state_type == StateType.PENDING.value)
        .values(lease_expires=now + dt.timedelta(seconds=lease_seconds))
    )
    if running_lease_seconds:
        conn.execute(
            t.flow_run.update()
            .where(*held, t.flow_run.c.state_type == StateType.RUNNING.value)
            .values(lease_expires=now + dt.timedelta(seconds=running_lease_seconds))
        )


def worker_model(row: m.Worker, pool_name: str, multiple: float) -> Worker:
    """API model with status computed from the last heartbeat."""
    online = worker_is_online(row, utcnow(), multiple)
    return Worker(
        id=row.id,
        name=row.name,
        pool_name=pool_name,
        worker_type=row.worker_type,
        last_heartbeat=row.last_heartbeat,
        heartbeat_interval_seconds=row.heartbeat_interval_seconds,
        run_limit=row.run_limit,
        status=WorkerStatus.ONLINE if online else WorkerStatus.OFFLINE,
    )


def list_workers(conn: sa.Connection, pool_name: str, multiple: float) -> list[Worker]:
    """Workers of a pool, most recent heartbeat first."""
    pool = get_pool_row(conn, pool_name)
    rows = conn.execute(
        sa.select(t.worker)
        .where(t.worker.c.pool_id == pool.id)
        .order_by(t.worker.c.last_heartbeat.desc())
    ).all()
    return [worker_model(m.typed(m.Worker, r), pool_name, multiple) for r in rows]


_STALE = sa.select(t.work_queue.c.id).where(
    t.work_queue.c.pool_id == sa.bindparam("pool_id"),
    sa.or_(
        t.work_queue.c.last_polled.is_(None), t.work_queue.c.last_polled < sa.bindparam("recent")
    ),
)
_STALE_NAMED = _STALE.where(t.work_queue.c.name.in_(sa.bindparam("names", expanding=True)))


def stale_polled_queues(conn: sa.Connection, pool_id: str, queue_names: list[str]) -> list[str]:
    """Ids of the polled queues (all the pool's when ``queue_names`` is empty) whose
    ``last_polled`` is unset or older than a second: the ones :func:`record_poll` should update.

    A read, so a burst of polls does not take the write lock each time.

    :param pool_id: the pool's id (the caller has read its row already).
    """
    recent = utcnow() - dt.timedelta(seconds=RECORD_EVERY_SECONDS)
    if queue_names:
        rows = conn.execute(
            _STALE_NAMED, {"pool_id": pool_id, "recent": recent, "names": queue_names}
        )
    else:
        rows = conn.execute(_STALE, {"pool_id": pool_id, "recent": recent})
    return [str(r.id) for r in rows]


def record_poll(
    conn: sa.Connection, pool_name: str, queue_ids: list[str], *, pool_locked: bool = False
) -> None:
    """A worker polled these queues: set their ``last_polled`` (so a watched queue is READY).

    Called for every claim request that finds stale queues, idle long-polls included. Takes the
    pool's row lock first, like claims and queue changes do (pool, then queues, then runs), so
    it never deadlocks with them on PostgreSQL; ``pool_locked``: the caller holds it already.
    """
    if queue_ids:
        if not pool_locked:
            get_pool_row(conn, pool_name, lock=True)
        conn.execute(
            t.work_queue.update()
            .where(t.work_queue.c.id.in_(queue_ids))
            .values(last_polled=utcnow())
        )


def worker_stopped(conn: sa.Connection, pool_name: str, name: str) -> None:
    """A worker says it is leaving (stopped cleanly): it shows OFFLINE at once. Raises NotFound."""
    pool = get_pool_row(conn, pool_name)
    if not conn.execute(
        t.worker.update()
        .where(t.worker.c.pool_id == pool.id, t.worker.c.name == name)
        .values(stopped=utcnow())
    ).rowcount:
        raise NotFound(f"Worker '{name}' not found in pool '{pool_name}'.", code="worker_not_found")


def delete_worker(conn: sa.Connection, pool_name: str, name: str) -> None:
    """Forget a worker. Raises NotFound."""
    pool = get_pool_row(conn, pool_name)
    if not conn.execute(
        t.worker.delete().where(t.worker.c.pool_id == pool.id, t.worker.c.name == name)
    ).rowcount:
        raise NotFound(f"Worker '{name}' not found in pool '{pool_name}'.", code="worker_not_found")
