"""Read queries shaped for the pages: a few grouped queries per page, never one per row.

Pool statuses use the same rules as ``services.pools`` (READY needs an ONLINE worker, a worker
is ONLINE while its last heartbeat is within ``multiple`` heartbeat intervals).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from flowyard.schemas.common import ACTIVE_STATES, PoolStatus, StateType, utcnow
from flowyard.server import tables as t
from flowyard.server.services.pools import online_cutoff

PAGE_SIZE = 50


@dataclass
class PoolSummary:
    """One row of the pools list."""

    name: str
    type: str
    description: str
    status: PoolStatus
    is_paused: bool
    concurrency_limit: int | None
    active_runs: int
    queues: int
    workers_online: int
    workers: int
    last_polled: dt.datetime | None


def pool_summaries(conn: sa.Connection, multiple: float) -> list[PoolSummary]:
    """Every pool with its counts (four grouped queries in total)."""
    pools = conn.execute(sa.select(t.work_pool).order_by(t.work_pool.c.name)).all()
    active: dict[str, int] = dict(
        conn.execute(
            sa.select(t.flow_run.c.pool_id, sa.func.count())
            .where(t.flow_run.c.state_type.in_([s.value for s in ACTIVE_STATES]))
            .group_by(t.flow_run.c.pool_id)
        ).all()
    )
    queues: dict[str, int] = dict(
        conn.execute(
            sa.select(t.work_queue.c.pool_id, sa.func.count()).group_by(t.work_queue.c.pool_id)
        ).all()
    )
    now = utcnow()
    online: dict[str, int] = {}
    total: dict[str, int] = {}
    last: dict[str, dt.datetime] = {}
    for w in conn.execute(
        sa.select(
            t.worker.c.pool_id, t.worker.c.last_heartbeat, t.worker.c.heartbeat_interval_seconds
        )
    ).all():
        total[w.pool_id] = total.get(w.pool_id, 0) + 1
        if w.last_heartbeat >= online_cutoff(now, w.heartbeat_interval_seconds, multiple):
            online[w.pool_id] = online.get(w.pool_id, 0) + 1
        if w.pool_id not in last or w.last_heartbeat > last[w.pool_id]:
            last[w.pool_id] = w.last_heartbeat
    out = []
    for p in pools:
        if p.is_paused:
            status = PoolStatus.PAUSED
        elif online.get(p.id):
            status = PoolStatus.READY
        else:
            status = PoolStatus.NOT_READY
        out.append(
            PoolSummary(
                name=p.name,
                type=p.type,
                description=p.description,
                status=status,
                is_paused=p.is_paused,
                concurrency_limit=p.concurrency_limit,
                active_runs=int(active.get(p.id, 0)),
                queues=int(queues.get(p.id, 0)),
                workers_online=online.get(p.id, 0),
                workers=total.get(p.id, 0),
                last_polled=last.get(p.id),
            )
        )
    return out


def runs_held(conn: sa.Connection, pool_id: str) -> dict[str, int]:
    """PENDING + RUNNING runs of a pool per worker name."""
    rows = conn.execute(
        sa.select(t.flow_run.c.worker_name, sa.func.count())
        .where(
            t.flow_run.c.pool_id == pool_id,
            t.flow_run.c.state_type.in_([s.value for s in ACTIVE_STATES]),
        )
        .group_by(t.flow_run.c.worker_name)
    ).all()
    return {str(name): int(count) for name, count in rows if name is not None}


@dataclass
class DeploymentRow:
    """One row of the deployments list."""

    id: str
    name: str
    flow_name: str
    pool_name: str | None
    queue_name: str | None
    paused: bool
    tags: list[str]
    schedules: int
    updated: dt.datetime


def deployment_page(
    conn: sa.Connection,
    *,
    after: str | None = None,
    pool_name: str | None = None,
    search: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[DeploymentRow], str | None]:
    """A page of deployments by (flow name, name), keyset-paginated; returns (rows, next cursor)."""
    schedules = (
        sa.select(t.deployment_schedule.c.deployment_id, sa.func.count().label("n"))
        .group_by(t.deployment_schedule.c.deployment_id)
        .subquery()
    )
    key = (t.flow.c.name + "/" + t.deployment.c.name).label("key")
    query = (
        sa.select(
            t.deployment.c.id,
            t.deployment.c.name,
            t.flow.c.name.label("flow_name"),
            t.work_pool.c.name.label("pool_name"),
            t.work_queue.c.name.label("queue_name"),
            t.deployment.c.paused,
            t.deployment.c.tags,
            t.deployment.c.updated,
            sa.func.coalesce(schedules.c.n, 0).label("schedules"),
            key,
        )
        .join(t.flow, t.flow.c.id == t.deployment.c.flow_id)
        .outerjoin(t.work_pool, t.work_pool.c.id == t.deployment.c.pool_id)
        .outerjoin(t.work_queue, t.work_queue.c.id == t.deployment.c.queue_id)
        .outerjoin(schedules, schedules.c.deployment_id == t.deployment.c.id)
    )
    if pool_name:
        query = query.where(t.work_pool.c.name == pool_name)
    if search:
        like = f"%{search}%"
        query = query.where(sa.or_(t.deployment.c.name.like(like), t.flow.c.name.like(like)))
    if after:
        query = query.where(key > after)
    rows = conn.execute(query.order_by(key).limit(limit + 1)).all()
    page = [
        DeploymentRow(
            id=r.id,
            name=r.name,
            flow_name=r.flow_name,
            pool_name=r.pool_name,
            queue_name=r.queue_name,
            paused=r.paused,
            tags=list(r.tags or []),
            schedules=int(r.schedules),
            updated=r.updated,
        )
        for r in rows[:limit]
    ]
    cursor = f"{page[-1].flow_name}/{page[-1].name}" if len(rows) > limit else None
    return page, cursor


@dataclass
class RunFilter:
    """The runs list's filters, as they appear in the URL."""

    pool: str | None = None
    deployment: str | None = None
    state: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before: str | None = None  # keyset cursor: "<scheduled iso>|<run id>"


def encode_cursor(scheduled: dt.datetime, run_id: str) -> str:
    """The cursor that continues after this run (newest first)."""
    return f"{scheduled.astimezone(dt.UTC).isoformat()}|{run_id}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, str] | None:
    """(scheduled time, id) from a cursor, or None when it is malformed."""
    when, _, run_id = cursor.partition("|")
    try:
        parsed = dt.datetime.fromisoformat(when)
    except ValueError:
        return None
    if parsed.tzinfo is None or not run_id:
        return None
    return parsed, run_id


def run_page(
    conn: sa.Connection, f: RunFilter, limit: int = PAGE_SIZE
) -> tuple[list[Any], str | None]:
    """Runs newest first by (scheduled time, id) with keyset pagination: the cost of a page does
    not grow with how far back it is. Returns (rows, cursor of the next page)."""
    run = t.flow_run
    query = (
        sa.select(
            run.c.id,
            run.c.name,
            run.c.state_type,
            run.c.state_name,
            run.c.scheduled_time,
            run.c.start_time,
            run.c.end_time,
            run.c.worker_name,
            run.c.deployment_id,
            t.flow.c.name.label("flow_name"),
            t.deployment.c.name.label("deployment_name"),
            t.work_pool.c.name.label("pool_name"),
            t.work_queue.c.name.label("queue_name"),
        )
        .join(t.flow, t.flow.c.id == run.c.flow_id)
        .outerjoin(t.deployment, t.deployment.c.id == run.c.deployment_id)
        .outerjoin(t.work_pool, t.work_pool.c.id == run.c.pool_id)
        .outerjoin(t.work_queue, t.work_queue.c.id == run.c.queue_id)
    )
    if f.pool:
        pool_id = conn.execute(
            sa.select(t.work_pool.c.id).where(t.work_pool.c.name == f.pool)
        ).scalar()
        query = query.where(run.c.pool_id == (pool_id or ""))
    if f.deployment:
        query = query.where(run.c.deployment_id == f.deployment)
    if f.state:
        states = [s.strip().upper() for s in f.state.split(",") if s.strip()]
        query = query.where(run.c.state_type.in_(states))
    if f.since:
        query = query.where(run.c.scheduled_time >= f.since)
    if f.until:
        query = query.where(run.c.scheduled_time < f.until)
    cursor = decode_cursor(f.before) if f.before else None
    if cursor:
        when, run_id = cursor
        query = query.where(
            run.c.scheduled_time <= when,  # the index range; the OR alone makes SQLite scan
            sa.or_(run.c.scheduled_time < when, run.c.id < run_id),
        )
    rows = conn.execute(
        query.order_by(run.c.scheduled_time.desc(), run.c.id.desc()).limit(limit + 1)
    ).all()
    page = rows[:limit]
    following = encode_cursor(page[-1].scheduled_time, page[-1].id) if len(rows) > limit else None
    return list(page), following


def state_names() -> list[str]:
    """State types offered by the runs filter."""
    return [s.value for s in StateType]
