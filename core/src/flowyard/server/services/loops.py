"""Background services: late-run marking, lease expiry, scheduling.

The scheduler's decisions (which dates, which rows) are pure functions in ``scheduling.py``.

Each is one idempotent transaction per tick, so several server replicas may run them at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, NamedTuple

import sqlalchemy as sa

from flowyard.schemas.common import StateType, utcnow
from flowyard.server import tables as t
from flowyard.server.services import scheduling
from flowyard.server.services.context import ServerContext
from flowyard.server.services.ids import new_id, run_name
from flowyard.settings import LeaseExpiryPolicy

log = logging.getLogger(__name__)
BATCH = 500


def mark_late_runs(ctx: ServerContext) -> int:
    """SCHEDULED runs more than ``late_after`` seconds past their time are renamed ``Late``."""
    cutoff = utcnow() - dt.timedelta(seconds=ctx.settings.server_late_after_seconds)
    with ctx.db.write() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                sa.select(t.flow_run.c.id)
                .where(
                    t.flow_run.c.state_type == StateType.SCHEDULED.value,
                    t.flow_run.c.state_name == "Scheduled",
                    t.flow_run.c.scheduled_time <= cutoff,
                )
                .limit(BATCH)
            ).all()
        ]
        if not ids:
            return 0
        now = utcnow()
        conn.execute(
            t.flow_run.update()
            .where(t.flow_run.c.id.in_(ids))
            .values(state_name="Late", state_timestamp=now, updated=now)
        )
        conn.execute(
            t.flow_run_state.insert(),
            [
                {
                    "flow_run_id": i,
                    "type": StateType.SCHEDULED.value,
                    "name": "Late",
                    "message": None,
                    "timestamp": now,
                }
                for i in ids
            ],
        )
    return len(ids)


def _not_push_held(ctx: ServerContext, now: dt.datetime) -> sa.ColumnElement[bool]:
    """Runs held by a push replica get a grace period for another replica to take them over."""
    from flowyard.server.push.takeover import not_push_held

    return not_push_held(
        t.flow_run.c.worker_name,
        t.flow_run.c.lease_expires,
        now,
        ctx.settings.server_claim_lease_seconds,
    )


def expire_leases(ctx: ServerContext) -> int:
    """PENDING runs whose claim lease ran out go back to SCHEDULED (or CRASHED, by policy)."""
    now = utcnow()
    policy = ctx.settings.server_lease_expiry_policy
    pools: set[str] = set()
    with ctx.db.write() as conn:
        rows = conn.execute(
            sa.select(t.flow_run.c.id, t.flow_run.c.pool_id, t.flow_run.c.worker_name)
            .where(
                t.flow_run.c.state_type == StateType.PENDING.value,
                t.flow_run.c.lease_expires < now,
                _not_push_held(ctx, now),
            )
            .limit(BATCH)
        ).all()
        for row in rows:
            message = f"Claim lease expired: worker '{row.worker_name}' stopped renewing it before the run started."
            if policy is LeaseExpiryPolicy.reschedule:
                values: dict[str, Any] = {
                    "state_type": StateType.SCHEDULED.value,
                    "state_name": "Rescheduled",
                    "claim_id": None,
                    "worker_name": None,
                    "infrastructure_id": None,
                }
                new_type = StateType.SCHEDULED
            else:
                values = {
                    "state_type": StateType.CRASHED.value,
                    "state_name": "Crashed",
                    "end_time": now,
                }
                new_type = StateType.CRASHED
            conn.execute(
                t.flow_run.update()
                .where(t.flow_run.c.id == row.id)
                .values(
                    state_message=message,
                    state_timestamp=now,
                    updated=now,
                    lease_expires=None,
                    **values,
                )
            )
            conn.execute(
                t.flow_run_state.insert().values(
                    flow_run_id=row.id,
                    type=new_type.value,
                    name=values["state_name"],
                    message=message,
                    timestamp=now,
                )
            )
            if row.pool_id:
                pools.add(row.pool_id)
    for pool_id in pools:
        ctx.notifier.notify(pool_id)
    return len(rows)


def _insert_ignoring_duplicates(conn: sa.Connection, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    # RETURNING tells which rows went in: psycopg reports rowcount -1 (truthy) for
    # INSERT ... ON CONFLICT DO NOTHING, which made every skipped duplicate look inserted.
    # One executemany for all rows (SQLAlchemy's insertmanyvalues keeps RETURNING).
    stmt = (
        dialect_insert(t.flow_run)
        .on_conflict_do_nothing(index_elements=["flow_id", "idempotency_key"])
        .returning(t.flow_run.c.id)
    )
    inserted = {str(run_id) for run_id in conn.execute(stmt, rows).scalars()}
    if inserted:
        conn.execute(
            t.flow_run_state.insert(),
            [
                {
                    "flow_run_id": row["id"],
                    "type": StateType.SCHEDULED.value,
                    "name": "Scheduled",
                    "message": "Flow run scheduled",
                    "timestamp": row["created"],
                }
                for row in rows
                if row["id"] in inserted
            ],
        )
    return len(inserted)


class ScheduleRow(NamedTuple):
    """A row of :func:`_active_schedules`: a ``deployment_schedule`` row, then what its runs copy
    from the deployment (built from the row mapping without validation)."""

    id: str
    deployment_id: str
    slug: str
    schedule: dict[str, Any]
    active: bool
    created: dt.datetime
    flow_id: str
    pool_id: str | None
    queue_id: str | None
    parameters: dict[str, Any]
    tags: list[str]
    schedule_error: str | None


_ACTIVE_SCHEDULES = (
    sa.select(
        t.deployment_schedule,
        t.deployment.c.flow_id,
        t.deployment.c.pool_id,
        t.deployment.c.queue_id,
        t.deployment.c.parameters,
        t.deployment.c.tags,
        t.deployment.c.schedule_error,
    )
    .join(t.deployment, t.deployment.c.id == t.deployment_schedule.c.deployment_id)
    .where(t.deployment_schedule.c.active.is_(True), t.deployment.c.paused.is_(False))
)


def _active_schedules(ctx: ServerContext) -> list[ScheduleRow]:
    """Every active schedule of an unpaused deployment, with what its runs copy."""
    with ctx.db.read() as conn:
        return [ScheduleRow(**row._mapping) for row in conn.execute(_ACTIVE_SCHEDULES)]


def _future_runs(
    ctx: ServerContext, item: ScheduleRow, prefix: str, now: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """How many future SCHEDULED runs a schedule has, and the latest one's time.

    Read through the deployment's future SCHEDULED runs (``ix_flow_run_deployment_due``): a
    schedule's runs all carry its deployment, and the key's ``LIKE`` cannot use an index, so a
    filter on the flow alone read every run the flow ever had, on every tick.
    """
    with ctx.db.read() as conn:
        count, latest = conn.execute(
            sa.select(sa.func.count(), sa.func.max(t.flow_run.c.scheduled_time)).where(
                t.flow_run.c.deployment_id == item.deployment_id,
                t.flow_run.c.flow_id == item.flow_id,
                t.flow_run.c.idempotency_key.like(prefix + "%"),
                t.flow_run.c.state_type == StateType.SCHEDULED.value,
                t.flow_run.c.scheduled_time > now,
            )
        ).one()
    return int(count), latest


def _schedule_one(
    ctx: ServerContext, item: ScheduleRow, now: dt.datetime, limits: scheduling.SchedulingLimits
) -> int:
    """Top up one schedule's runs; returns how many were created (0 when it is stocked)."""
    from flowyard.schedules import upcoming
    from flowyard.schemas.runs import Schedule

    prefix = scheduling.idempotency_prefix(item.deployment_id, item.slug)
    if scheduling.is_stocked(*_future_runs(ctx, item, prefix, now), limits):
        return 0
    deployment = scheduling.ScheduledDeployment(
        item.deployment_id, item.flow_id, item.pool_id, item.queue_id, item.parameters, item.tags
    )
    rows = [
        scheduling.scheduled_run(deployment, prefix, when, now, run_id=new_id(), name=run_name())
        for when in scheduling.run_times(
            upcoming(Schedule.model_validate(item.schedule, context={"stored": True}), now),
            limits,
        )
    ]
    with ctx.db.write() as conn:
        return _insert_ignoring_duplicates(conn, rows)


def _record_schedule_error(
    ctx: ServerContext, deployment_id: str, error: str | None, *, only_if_set: bool = False
) -> None:
    """Record (or clear) the scheduler's last failure on a deployment, shown by the API."""
    column = t.deployment.c.schedule_error
    with ctx.db.write() as conn:
        stmt = t.deployment.update().where(t.deployment.c.id == deployment_id)
        if only_if_set:
            stmt = stmt.where(column.is_not(None))
        elif error is not None:
            stmt = stmt.where(sa.or_(column.is_(None), column != error[:2000]))
        conn.execute(stmt.values(schedule_error=error[:2000] if error else None))


def schedule_runs(ctx: ServerContext) -> int:
    """Create the upcoming runs of every active schedule (idempotent by key; no backfill)."""
    settings = ctx.settings
    now = utcnow()
    limits = scheduling.SchedulingLimits(
        min_runs=settings.server_scheduler_min_runs,
        max_runs=settings.server_scheduler_max_runs,
        horizon=now + dt.timedelta(seconds=settings.server_scheduler_horizon_seconds),
    )
    created = 0
    pools: set[str] = set()
    for item in _active_schedules(ctx):
        try:  # one bad schedule never stops the others
            n = _schedule_one(ctx, item, now, limits)
        except Exception as exc:
            log.warning(
                "schedule %s of deployment %s failed: %s", item.slug, item.deployment_id, exc
            )
            _record_schedule_error(ctx, item.deployment_id, f"schedule {item.slug!r}: {exc}")
            continue
        if item.schedule_error is not None:  # no write transaction per schedule per tick
            _record_schedule_error(ctx, item.deployment_id, None, only_if_set=True)
        created += n
        if n and item.pool_id:
            pools.add(item.pool_id)
    for pool_id in pools:
        ctx.notifier.notify(pool_id)
    return created


def crash_silent_runs(ctx: ServerContext) -> int:
    """Claimed RUNNING runs whose worker stopped renewing their liveness lease become CRASHED.

    The worker renews it with ``held_run_ids`` in each heartbeat and claim; when the worker (or
    the machine) dies, the lease runs out after ``server_running_lease_seconds`` and the run's
    concurrency slot is freed instead of being held forever.
    """
    if not ctx.settings.server_running_lease_seconds:
        return 0
    now = utcnow()
    pools: set[str] = set()
    with ctx.db.write() as conn:
        rows = conn.execute(
            sa.select(t.flow_run.c.id, t.flow_run.c.pool_id, t.flow_run.c.worker_name)
            .where(
                t.flow_run.c.state_type == StateType.RUNNING.value,
                t.flow_run.c.lease_expires < now,
                _not_push_held(ctx, now),
            )
            .limit(BATCH)
        ).all()
        for row in rows:
            message = (
                f"No heartbeat for this run from worker '{row.worker_name}' for "
                f"{ctx.settings.server_running_lease_seconds:g} s: its worker stopped."
            )
            conn.execute(
                t.flow_run.update()
                .where(t.flow_run.c.id == row.id, t.flow_run.c.state_type == "RUNNING")
                .values(
                    state_type=StateType.CRASHED.value,
                    state_name="Crashed",
                    state_message=message,
                    state_timestamp=now,
                    end_time=now,
                    updated=now,
                    lease_expires=None,
                )
            )
            conn.execute(
                t.flow_run_state.insert().values(
                    flow_run_id=row.id,
                    type=StateType.CRASHED.value,
                    name="Crashed",
                    message=message,
                    timestamp=now,
                )
            )
            if row.pool_id:
                pools.add(row.pool_id)
    for pool_id in pools:
        ctx.notifier.notify(pool_id)
    return len(rows)


SERVICES = {
    "late_runs": mark_late_runs,
    "lease_expiry": expire_leases,
    "running_liveness": crash_silent_runs,
    "scheduler": schedule_runs,
}
