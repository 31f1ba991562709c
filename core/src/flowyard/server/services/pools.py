"""Work pools and their queues: create, read, update, delete, priorities, statuses."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa

from flowyard import limits
from flowyard.errors import InvalidBaseJobTemplate, PluginError, UnknownWorkerType
from flowyard.pool_types import is_push, worker_type_of
from flowyard.schemas.common import ACTIVE_STATES, PoolStatus, utcnow
from flowyard.schemas.pools import (
    WorkPool,
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueue,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from flowyard.server import models as m
from flowyard.server import tables as t
from flowyard.server.errors import Conflict, Invalid, NotFound
from flowyard.server.services.ids import new_id

QUEUE_READY_SECONDS = 60.0
DEFAULT_QUEUE = "default"


def _check_template(template: dict[str, Any]) -> None:
    from flowyard.templating import validate_base_job_template

    try:
        validate_base_job_template(template)
    except InvalidBaseJobTemplate as exc:
        raise Invalid(
            str(exc),
            field="base_job_template",
            errors=[
                {"field": f"base_job_template.{e.field}".rstrip("."), "message": e.message}
                for e in exc.errors
            ],
        ) from exc


def _default_template(pool_type: str) -> dict[str, Any]:
    from flowyard.worker_types import default_base_job_template

    try:
        return default_base_job_template(pool_type)
    except (UnknownWorkerType, PluginError):
        return {}


# built once: every claim reads its pool (twice), so the clauses are not rebuilt per call
_POOL_BY_NAME = sa.select(t.work_pool).where(t.work_pool.c.name == sa.bindparam("name"))
_POOL_BY_NAME_LOCKED = _POOL_BY_NAME.with_for_update()


class PoolHead(NamedTuple):
    """What a claim's read-only first look needs of a pool (a row of ``_POOL_HEAD_BY_NAME``;
    the job template is not read, so it is not parsed)."""

    id: str
    name: str
    is_paused: bool
    concurrency_limit: int | None


_POOL_HEAD_BY_NAME = sa.select(
    t.work_pool.c.id, t.work_pool.c.name, t.work_pool.c.is_paused, t.work_pool.c.concurrency_limit
).where(t.work_pool.c.name == sa.bindparam("name"))


def get_pool_head(conn: sa.Connection, name: str) -> PoolHead:
    """The pool's id, name, pause and limit, without its template. Raises NotFound."""
    row = conn.execute(_POOL_HEAD_BY_NAME, {"name": name}).first()
    if row is None:
        raise NotFound(f'Work pool "{name}" not found.', code="work_pool_not_found")
    return PoolHead(*row)


def get_pool_row(conn: sa.Connection, name: str, *, lock: bool = False) -> m.WorkPool:
    """The pool's row; ``lock`` takes a row lock on PostgreSQL. Raises NotFound."""
    query = _POOL_BY_NAME_LOCKED if lock and conn.dialect.name == "postgresql" else _POOL_BY_NAME
    row = conn.execute(query, {"name": name}).first()
    if row is None:
        raise NotFound(f'Work pool "{name}" not found.', code="work_pool_not_found")
    return m.typed(m.WorkPool, row)


def online_cutoff(now: dt.datetime, interval: float | None, multiple: float) -> dt.datetime:
    """Heartbeats older than this mean OFFLINE.

    A stored interval outside the API's bounds (a row from before they existed) is clamped, so no
    stored value can make a read fail.
    """
    seconds = min(max(interval or 30.0, 0.0), limits.SECONDS_MAX) * multiple
    if seconds != seconds:  # NaN
        seconds = 30.0 * multiple
    return now - dt.timedelta(seconds=min(seconds, limits.SECONDS_MAX * 100))


class Heartbeats(Protocol):
    """What liveness is computed from: a worker row, or just these columns of it."""

    @property
    def last_heartbeat(self) -> dt.datetime:
        """The worker's last heartbeat."""

    @property
    def heartbeat_interval_seconds(self) -> float | None:
        """The interval the worker said it heartbeats at."""

    @property
    def stopped(self) -> dt.datetime | None:
        """When the worker said it was leaving."""


def worker_is_online(row: Heartbeats, now: dt.datetime, multiple: float) -> bool:
    """A worker row is ONLINE: a recent heartbeat, and it has not said it stopped since."""
    if row.stopped is not None and row.stopped >= row.last_heartbeat:
        return False
    return bool(row.last_heartbeat >= online_cutoff(now, row.heartbeat_interval_seconds, multiple))


def _pool_has_online_worker(conn: sa.Connection, pool_id: str, multiple: float) -> bool:
    now = utcnow()
    rows = conn.execute(
        sa.select(
            t.worker.c.last_heartbeat, t.worker.c.heartbeat_interval_seconds, t.worker.c.stopped
        ).where(t.worker.c.pool_id == pool_id)
    ).all()
    return any(worker_is_online(r, now, multiple) for r in rows)


def active_counts(conn: sa.Connection, pool_id: str) -> dict[str | None, int]:
    """PENDING + RUNNING runs per queue id of one pool."""
    rows = conn.execute(
        sa.select(t.flow_run.c.queue_id, sa.func.count())
        .where(
            t.flow_run.c.pool_id == pool_id,
            t.flow_run.c.state_type.in_([s.value for s in ACTIVE_STATES]),
        )
        .group_by(t.flow_run.c.queue_id)
    ).all()
    return {r[0]: r[1] for r in rows}


def pool_model(conn: sa.Connection, row: m.WorkPool, multiple: float = 3.0) -> WorkPool:
    """Build the API model of a pool, with its computed status and active slots."""
    push = None
    if is_push(row.type):
        from flowyard.server.push.status import push_status

        status, push = push_status(conn, row, multiple)
    elif row.is_paused:
        status = PoolStatus.PAUSED
    elif _pool_has_online_worker(conn, row.id, multiple):
        status = PoolStatus.READY
    else:
        status = PoolStatus.NOT_READY
    active = (
        sum(active_counts(conn, row.id).values()) if row.concurrency_limit is not None else None
    )
    return WorkPool(
        id=row.id,
        name=row.name,
        type=row.type,
        description=row.description,
        base_job_template=row.base_job_template,
        is_paused=row.is_paused,
        concurrency_limit=row.concurrency_limit,
        status=status,
        active_slots=active,
        default_queue_id=row.default_queue_id,
        created=row.created,
        updated=row.updated,
        push=push,
    )


def create_pool(conn: sa.Connection, body: WorkPoolCreate) -> m.WorkPool:
    """Create a pool and its ``default`` queue. 409 on a duplicate name, 422 on a bad template."""
    if conn.execute(sa.select(t.work_pool.c.id).where(t.work_pool.c.name == body.name)).first():
        raise Conflict(f'A work pool named "{body.name}" already exists.', code="already_exists")
    from flowyard.server.push.support import check_push_type

    check_push_type(body.type)
    template = (
        body.base_job_template
        if body.base_job_template is not None
        else _default_template(worker_type_of(body.type))
    )
    _check_template(template)
    now = utcnow()
    pool_id, queue_id = new_id(), new_id()
    conn.execute(
        t.work_pool.insert().values(
            id=pool_id,
            name=body.name,
            type=body.type,
            description=body.description,
            base_job_template=template,
            is_paused=body.is_paused,
            concurrency_limit=body.concurrency_limit,
            default_queue_id=None,
            created=now,
            updated=now,
        )
    )
    _insert_queue(
        conn,
        pool_id,
        WorkQueueCreate(name=DEFAULT_QUEUE, description="The work pool's default queue."),
        priority=1,
        queue_id=queue_id,
    )
    conn.execute(
        t.work_pool.update().where(t.work_pool.c.id == pool_id).values(default_queue_id=queue_id)
    )
    return get_pool_row(conn, body.name)


def update_pool(conn: sa.Connection, name: str, body: WorkPoolUpdate) -> m.WorkPool:
    """Change the fields sent; a new template is validated like on create."""
    row = get_pool_row(conn, name, lock=True)  # the lock order: pool, then queues, then runs
    values: dict[str, Any] = {}
    fields = body.model_fields_set
    if "base_job_template" in fields:
        if body.base_job_template is None:
            raise Invalid(
                "base_job_template cannot be null; send {} for no template",
                field="base_job_template",
            )
        _check_template(body.base_job_template)
        values["base_job_template"] = body.base_job_template
    for field in ("description", "is_paused"):
        if field in fields and getattr(body, field) is not None:
            values[field] = getattr(body, field)
    if "concurrency_limit" in fields:
        values["concurrency_limit"] = body.concurrency_limit
    if values:
        values["updated"] = utcnow()
        conn.execute(t.work_pool.update().where(t.work_pool.c.id == row.id).values(**values))
    return get_pool_row(conn, name)


def delete_pool(conn: sa.Connection, name: str) -> None:
    """Delete a pool with its queues and workers; refused while deployments use it."""
    row = get_pool_row(conn, name)
    deployments = conn.execute(
        sa.select(sa.func.count()).select_from(t.deployment).where(t.deployment.c.pool_id == row.id)
    ).scalar_one()
    if deployments:
        raise Conflict(
            f'Work pool "{name}" is used by {deployments} deployment(s); delete them or move them to '
            "another pool first."
        )
    conn.execute(
        t.work_pool.update().where(t.work_pool.c.id == row.id).values(default_queue_id=None)
    )
    conn.execute(t.work_pool.delete().where(t.work_pool.c.id == row.id))


# ------------------------------------------------------------------ queues


def _queues(conn: sa.Connection, pool_id: str) -> list[m.WorkQueue]:
    return [
        m.typed(m.WorkQueue, row)
        for row in conn.execute(
            sa.select(t.work_queue)
            .where(t.work_queue.c.pool_id == pool_id)
            .order_by(t.work_queue.c.priority, t.work_queue.c.created)
        ).all()
    ]


def _resequence(
    conn: sa.Connection,
    pool_id: str,
    target_id: str | None = None,
    target_priority: int | None = None,
) -> None:
    """Keep priorities unique with minimal changes: insert the target before the first queue with
    priority >= its own, then bump only collisions, preserving gaps above (docs/work-pools.md §1)."""
    queues = [(q.id, q.priority) for q in _queues(conn, pool_id) if q.id != target_id]
    if target_id is not None and target_priority is not None:
        index = next((i for i, (_, p) in enumerate(queues) if p >= target_priority), len(queues))
        queues.insert(index, (target_id, target_priority))
    previous = 0
    for queue_id, priority in queues:
        new = priority if priority > previous else previous + 1
        conn.execute(
            t.work_queue.update().where(t.work_queue.c.id == queue_id).values(priority=new)
        )
        previous = new


def _queue_id(conn: sa.Connection, pool_id: str, name: str) -> str | None:
    """The id of the queue ``name`` in the pool, or None."""
    found = conn.execute(
        sa.select(t.work_queue.c.id).where(
            t.work_queue.c.pool_id == pool_id, t.work_queue.c.name == name
        )
    ).scalar()
    return None if found is None else str(found)


def _check_queue_name_free(conn: sa.Connection, pool_id: str, pool_name: str, name: str) -> None:
    """409 when the pool already has a queue called ``name``."""
    if _queue_id(conn, pool_id, name):
        raise Conflict(
            f"A work queue named '{name}' already exists in pool '{pool_name}'.",
            code="already_exists",
        )


def _insert_queue(
    conn: sa.Connection,
    pool_id: str,
    body: WorkQueueCreate,
    *,
    priority: int,
    queue_id: str | None = None,
) -> str:
    """Insert one queue row (callers keep priorities unique); returns its id."""
    queue_id = queue_id or new_id()
    conn.execute(
        t.work_queue.insert().values(
            id=queue_id,
            pool_id=pool_id,
            name=body.name,
            description=body.description,
            priority=priority,
            concurrency_limit=body.concurrency_limit,
            is_paused=body.is_paused,
            created=utcnow(),
        )
    )
    return queue_id


def _first_free_priority(conn: sa.Connection, pool_id: str) -> int:
    priorities = sorted(q.priority for q in _queues(conn, pool_id))
    for index, priority in enumerate(priorities):
        if priority != index + 1:
            return index + 1
    return len(priorities) + 1


def get_queue_row(conn: sa.Connection, pool_name: str, name: str) -> m.WorkQueue:
    """A queue by pool and name. Raises NotFound naming both."""
    pool = get_pool_row(conn, pool_name)
    row = conn.execute(
        sa.select(t.work_queue).where(
            t.work_queue.c.pool_id == pool.id, t.work_queue.c.name == name
        )
    ).first()
    if row is None:
        raise NotFound(f"Work queue '{pool_name}/{name}' not found.", code="work_queue_not_found")
    return m.typed(m.WorkQueue, row)


def queue_model(conn: sa.Connection, row: m.WorkQueue, pool_name: str) -> WorkQueue:
    """API model of a queue with its computed status."""
    now = utcnow()
    if row.is_paused:
        status = PoolStatus.PAUSED
    elif row.last_polled and row.last_polled >= now - dt.timedelta(seconds=QUEUE_READY_SECONDS):
        status = PoolStatus.READY
    else:
        status = PoolStatus.NOT_READY
    active = None
    if row.concurrency_limit is not None:
        active = active_counts(conn, row.pool_id).get(row.id, 0)
    return WorkQueue(
        id=row.id,
        pool_id=row.pool_id,
        pool_name=pool_name,
        name=row.name,
        description=row.description,
        priority=row.priority,
        concurrency_limit=row.concurrency_limit,
        is_paused=row.is_paused,
        status=status,
        last_polled=row.last_polled,
        active_slots=active,
    )


def list_queues(conn: sa.Connection, pool_name: str) -> list[WorkQueue]:
    """All queues of a pool in priority order."""
    pool = get_pool_row(conn, pool_name)
    return [queue_model(conn, q, pool_name) for q in _queues(conn, pool.id)]


def create_queue(conn: sa.Connection, pool_name: str, body: WorkQueueCreate) -> m.WorkQueue:
    """Create a queue; an explicit priority shifts colliding queues down."""
    pool = get_pool_row(conn, pool_name, lock=True)  # the lock order: pool, queues, runs
    _check_queue_name_free(conn, pool.id, pool_name, body.name)
    priority = body.priority if body.priority is not None else _first_free_priority(conn, pool.id)
    queue_id = _insert_queue(conn, pool.id, body, priority=priority)
    _resequence(conn, pool.id, queue_id, priority)
    return get_queue_row(conn, pool_name, body.name)


def update_queue(
    conn: sa.Connection, pool_name: str, name: str, body: WorkQueueUpdate
) -> m.WorkQueue:
    """Change the fields sent; a new priority re-sequences the pool's queues."""
    get_pool_row(conn, pool_name, lock=True)  # the lock order: pool, then queues, then runs
    row = get_queue_row(conn, pool_name, name)
    fields = body.model_fields_set
    values: dict[str, Any] = {}
    if "name" in fields and body.name and body.name != name:
        if name == DEFAULT_QUEUE:
            raise Conflict("The default queue cannot be renamed.")
        _check_queue_name_free(conn, row.pool_id, pool_name, body.name)
        values["name"] = body.name
    for field in ("description", "is_paused"):
        if field in fields and getattr(body, field) is not None:
            values[field] = getattr(body, field)
    if "concurrency_limit" in fields:
        values["concurrency_limit"] = body.concurrency_limit
    if values:
        conn.execute(t.work_queue.update().where(t.work_queue.c.id == row.id).values(**values))
    if "priority" in fields and body.priority is not None:
        _resequence(conn, row.pool_id, row.id, body.priority)
    return get_queue_row(conn, pool_name, values.get("name", name))


def delete_queue(conn: sa.Connection, pool_name: str, name: str) -> None:
    """Delete a queue (409 for the default queue); its scheduled runs move to the default queue."""
    pool = get_pool_row(conn, pool_name, lock=True)  # the lock order: pool, queues, runs
    row = get_queue_row(conn, pool_name, name)
    if row.id == pool.default_queue_id:
        raise Conflict(f"The default queue of pool '{pool_name}' cannot be deleted.")
    conn.execute(
        t.flow_run.update()
        .where(t.flow_run.c.queue_id == row.id)
        .values(queue_id=pool.default_queue_id)
    )
    conn.execute(
        t.deployment.update()
        .where(t.deployment.c.queue_id == row.id)
        .values(queue_id=pool.default_queue_id)
    )
    conn.execute(t.work_queue.delete().where(t.work_queue.c.id == row.id))
    _resequence(conn, row.pool_id)


def ensure_queue(conn: sa.Connection, pool_id: str, name: str | None) -> str:
    """The id of ``name`` in the pool (the default queue for None), created if missing."""
    pool = conn.execute(sa.select(t.work_pool).where(t.work_pool.c.id == pool_id)).one()
    if name is None:
        return str(pool.default_queue_id)
    existing = _queue_id(conn, pool_id, name)
    if existing:
        return existing
    return str(create_queue(conn, pool.name, WorkQueueCreate(name=name)).id)
