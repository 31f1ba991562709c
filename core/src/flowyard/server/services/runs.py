"""Flow runs: creation, reading, reporting, logs."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, TypedDict, Unpack

import sqlalchemy as sa

from flowyard.schemas.common import StateType, utcnow
from flowyard.schemas.runs import (
    FlowRun,
    FlowRunCreate,
    FlowRunFilter,
    FlowRunUpdate,
    LocalFlowRunCreate,
    Log,
    LogCreate,
    State,
)
from flowyard.server import models as m
from flowyard.server import tables as t
from flowyard.server.errors import Invalid
from flowyard.server.services.deployments import (
    check_job_variables,
    ensure_flow,
    get_deployment_row,
)
from flowyard.server.services.ids import new_id, run_name
from flowyard.server.services.parameters import check_parameters
from flowyard.server.services.pools import ensure_queue
from flowyard.server.services.readable import readable_object
from flowyard.server.services.states import get_run_row


class RunValues(TypedDict, total=False):
    """The columns a new run sets itself (:func:`_run_row` gives every other its default).

    ``name`` None means a generated name; ``state_type`` is the state's enum.
    """

    name: str | None
    flow_id: str
    deployment_id: str
    pool_id: str | None
    queue_id: str | None
    parameters: dict[str, Any]
    job_variables: dict[str, Any]
    tags: list[str]
    state_type: StateType
    state_name: str
    scheduled_time: dt.datetime
    start_time: dt.datetime
    idempotency_key: str | None


def _run_row(now: dt.datetime, **values: Unpack[RunValues]) -> dict[str, Any]:
    """Every column of a new run (defaults: SCHEDULED now, generated id and name)."""
    state_type = values.pop("state_type", StateType.SCHEDULED)
    return {
        "id": new_id(),
        "name": values.pop("name", None) or run_name(),
        "parameters": {},
        "job_variables": {},
        "tags": [],
        "labels": {},
        "state_type": state_type.value,
        "state_name": values.pop("state_name", "Scheduled"),
        "state_timestamp": now,
        "scheduled_time": now,
        "auto_scheduled": False,
        "created": now,
        "updated": now,
        **values,
    }


def _insert_rows(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert runs and their first history entries (one executemany each)."""
    conn.execute(t.flow_run.insert(), rows)
    conn.execute(
        t.flow_run_state.insert(),
        [
            {
                "flow_run_id": row["id"],
                "type": row["state_type"],
                "name": row["state_name"],
                "message": None,
                "timestamp": row["state_timestamp"],
            }
            for row in rows
        ],
    )


def _insert_run(conn: sa.Connection, **values: Unpack[RunValues]) -> str:
    row = _run_row(utcnow(), **values)
    _insert_rows(conn, [row])
    return str(row["id"])


def _pool_row(conn: sa.Connection, dep: m.Deployment) -> m.WorkPool | None:
    if not dep.pool_id:
        return None
    row = conn.execute(sa.select(t.work_pool).where(t.work_pool.c.id == dep.pool_id)).one()
    return m.typed(m.WorkPool, row)


def _run_values(
    conn: sa.Connection,
    dep: m.Deployment,
    pool: m.WorkPool | None,
    body: FlowRunCreate,
    queues: dict[str, str],
) -> RunValues:
    """Check ``body`` against the deployment and its pool; the new run's column values."""
    queue_id = dep.queue_id
    if pool is not None:
        from flowyard.templating import merge_job_variables

        merged = merge_job_variables(
            {"variables": {"properties": {}}}, dep.job_variables, body.job_variables
        )
        check_job_variables(pool.base_job_template, merged, what="flow run", enforce_required=True)
        if body.work_queue_name:
            if body.work_queue_name not in queues:
                queues[body.work_queue_name] = ensure_queue(conn, pool.id, body.work_queue_name)
            queue_id = queues[body.work_queue_name]
    elif body.work_queue_name:
        raise Invalid(
            "This deployment has no work pool, so work_queue_name cannot be used.",
            field="work_queue_name",
        )
    if dep.parameter_schema is not None:
        check_parameters(
            dep.parameter_schema, {**dep.parameters, **body.parameters}, what="flow run"
        )
    return {
        "flow_id": dep.flow_id,
        "deployment_id": dep.id,
        "pool_id": dep.pool_id,
        "queue_id": queue_id,
        "parameters": {**dep.parameters, **body.parameters},
        "job_variables": body.job_variables,
        "tags": [*dep.tags, *body.tags],
        "scheduled_time": body.scheduled_time or utcnow(),
        "idempotency_key": body.idempotency_key,
        "name": body.name,
    }


def _existing_run(
    conn: sa.Connection, dep: m.Deployment, idempotency_key: str | None
) -> str | None:
    if not idempotency_key:
        return None
    existing = conn.execute(
        sa.select(t.flow_run.c.id).where(
            t.flow_run.c.flow_id == dep.flow_id,
            t.flow_run.c.idempotency_key == idempotency_key,
        )
    ).first()
    return str(existing.id) if existing else None


def create_from_deployment(
    conn: sa.Connection, deployment_id: str, body: FlowRunCreate
) -> tuple[str, str | None]:
    """Create a SCHEDULED run of a deployment; returns (run id, pool id to notify)."""
    dep = get_deployment_row(conn, deployment_id)
    values = _run_values(conn, dep, _pool_row(conn, dep), body, {})
    existing = _existing_run(conn, dep, body.idempotency_key)
    if existing:
        return existing, None
    return _insert_run(conn, **values), dep.pool_id


def create_many_from_deployment(
    conn: sa.Connection, deployment_id: str, bodies: list[FlowRunCreate]
) -> tuple[list[str], str | None]:
    """:func:`create_from_deployment` for each body in one insert; (ids in order, pool id).

    An error names the run by its index (``runs[i].field``); the caller's transaction then
    creates none. Idempotency keys are honoured (also between runs of the same request).
    """
    dep = get_deployment_row(conn, deployment_id)
    pool = _pool_row(conn, dep)
    now = utcnow()
    queues: dict[str, str] = {}
    ids: list[str] = []
    rows: list[dict[str, Any]] = []
    by_key: dict[str, str] = {}
    for index, body in enumerate(bodies):
        try:
            values = _run_values(conn, dep, pool, body, queues)
        except Invalid as exc:
            prefix = f"runs[{index}]"
            raise Invalid(
                f"{prefix}: {exc}",
                field=f"{prefix}.{exc.field}" if exc.field else prefix,
                errors=[{**e, "field": f"{prefix}.{e['field']}"} for e in exc.errors],
            ) from exc
        key = body.idempotency_key
        existing = by_key.get(key) if key else None
        existing = existing or _existing_run(conn, dep, key)
        if existing:
            ids.append(existing)
            continue
        row = _run_row(now, **values)
        if key:
            by_key[key] = row["id"]
        rows.append(row)
        ids.append(row["id"])
    if rows:
        _insert_rows(conn, rows)
    return ids, dep.pool_id if rows else None


def create_local(conn: sa.Connection, body: LocalFlowRunCreate) -> str:
    """A RUNNING run for a flow called directly in a Python process (no worker, no claim)."""
    flow_id = ensure_flow(conn, body.flow_name)
    now = utcnow()
    return _insert_run(
        conn,
        flow_id=flow_id,
        parameters=body.parameters,
        state_type=StateType.RUNNING,
        state_name="Running",
        start_time=now,
        name=body.name,
    )


class RunRow(NamedTuple):
    """A row of ``_NAMES``: every ``flow_run`` column, then the names of the run's relations.

    Built from the row mapping without validation (a stored row is trusted as stored, as
    :func:`flowyard.server.models.typed` does); ``test_typed_rows.py`` checks the fields are the
    select's columns.
    """

    id: str
    name: str
    flow_id: str
    deployment_id: str | None
    pool_id: str | None
    queue_id: str | None
    parameters: dict[str, Any]
    job_variables: dict[str, Any]
    tags: list[str]
    labels: dict[str, Any]
    state_type: str
    state_name: str
    state_message: str | None
    state_timestamp: dt.datetime
    scheduled_time: dt.datetime
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    infrastructure_id: str | None
    worker_name: str | None
    claim_id: str | None
    lease_expires: dt.datetime | None
    idempotency_key: str | None
    auto_scheduled: bool
    created: dt.datetime
    updated: dt.datetime
    flow_name: str
    deployment_name: str | None
    pool_name: str | None
    queue_name: str | None

    def stored(self) -> m.FlowRun:
        """The ``flow_run`` row alone, as its table model (no validation)."""
        return m.FlowRun.model_construct(**self._asdict())


_NAMES = (
    sa.select(
        t.flow_run,
        t.flow.c.name.label("flow_name"),
        t.deployment.c.name.label("deployment_name"),
        t.work_pool.c.name.label("pool_name"),
        t.work_queue.c.name.label("queue_name"),
    )
    .join(t.flow, t.flow.c.id == t.flow_run.c.flow_id)
    .outerjoin(t.deployment, t.deployment.c.id == t.flow_run.c.deployment_id)
    .outerjoin(t.work_pool, t.work_pool.c.id == t.flow_run.c.pool_id)
    .outerjoin(t.work_queue, t.work_queue.c.id == t.flow_run.c.queue_id)
)


_NAMES_BY_IDS = _NAMES.where(t.flow_run.c.id.in_(sa.bindparam("ids", expanding=True)))


def _run_rows(conn: sa.Connection, query: sa.Select[Any]) -> list[RunRow]:
    """The rows of a ``_NAMES`` query, typed."""
    return [RunRow(**row._mapping) for row in conn.execute(query)]


def run_model(row: RunRow, *, as_stored: bool = False) -> FlowRun:
    """API model from a row of ``_NAMES``.

    JSON objects beyond the document bounds read as a placeholder
    (:func:`~flowyard.server.services.readable.readable_object`) unless ``as_stored`` (the claim
    path, which sets such a run aside instead of handing it out).
    """
    parameters, job_variables, labels = row.parameters, row.job_variables, row.labels
    if not as_stored:
        parameters = readable_object(parameters, "parameters")
        job_variables = readable_object(job_variables, "job_variables")
        labels = readable_object(labels, "labels")
    return FlowRun(
        id=row.id,
        name=row.name,
        flow_id=row.flow_id,
        flow_name=row.flow_name,
        deployment_id=row.deployment_id,
        deployment_name=row.deployment_name,
        work_pool_name=row.pool_name,
        work_queue_name=row.queue_name,
        parameters=parameters,
        job_variables=job_variables,
        tags=row.tags,
        labels=labels,
        state_type=StateType(row.state_type),
        state_name=row.state_name,
        state_message=row.state_message,
        scheduled_time=row.scheduled_time,
        start_time=row.start_time,
        end_time=row.end_time,
        infrastructure_id=row.infrastructure_id,
        worker_name=row.worker_name,
        claim_id=row.claim_id,
        created=row.created,
    )


def read_run_rows(conn: sa.Connection, ids: list[str]) -> list[RunRow]:
    """The rows :func:`run_model` reads, by id (any order); no model is built."""
    if not ids:
        return []
    return [RunRow(**row._mapping) for row in conn.execute(_NAMES_BY_IDS, {"ids": ids})]


def read_runs(conn: sa.Connection, ids: list[str]) -> list[FlowRun]:
    """Runs by id (any order)."""
    if not ids:
        return []
    return [run_model(r) for r in read_run_rows(conn, ids)]


def read_run(conn: sa.Connection, run_id: str) -> FlowRun:
    """One run. Raises NotFound."""
    found = read_runs(conn, [run_id])
    if not found:
        get_run_row(conn, run_id)  # raises NotFound, worded as everywhere else
    return found[0]


def due_in_pool(
    conn: sa.Connection, pool_id: str, hours: float, limit: int, now: dt.datetime | None = None
) -> list[FlowRun]:
    """A pool's SCHEDULED runs due within ``hours``: the earliest ``limit``, earliest first.

    Bounded (``work-pool preview`` of a pool holding 10,000 runs reads ``limit`` of them through
    ``ix_flow_run_claimable``, not all of them).
    """
    cutoff = (now or utcnow()) + dt.timedelta(hours=hours)
    query = (
        _NAMES.where(
            t.flow_run.c.pool_id == pool_id,
            t.flow_run.c.state_type == StateType.SCHEDULED.value,
            t.flow_run.c.scheduled_time <= cutoff,
        )
        .order_by(t.flow_run.c.scheduled_time, t.flow_run.c.id)
        .limit(limit)
    )
    return [run_model(r) for r in _run_rows(conn, query)]


def filter_runs(conn: sa.Connection, f: FlowRunFilter) -> list[FlowRun]:
    """Runs matching the filter, newest scheduled time first."""
    query = _NAMES
    if f.ids is not None:
        query = query.where(t.flow_run.c.id.in_(f.ids))
    if f.id_prefix:
        query = query.where(t.flow_run.c.id.startswith(f.id_prefix, autoescape=True))
    if f.name:
        query = query.where(t.flow_run.c.name == f.name)
    if f.deployment_id:
        query = query.where(t.flow_run.c.deployment_id == f.deployment_id)
    if f.work_pool_name:
        query = query.where(t.work_pool.c.name == f.work_pool_name)
    if f.worker_name:
        query = query.where(t.flow_run.c.worker_name == f.worker_name)
    if f.state_types:
        query = query.where(t.flow_run.c.state_type.in_([s.value for s in f.state_types]))
    query = query.order_by(t.flow_run.c.scheduled_time.desc()).limit(f.limit).offset(f.offset)
    return [run_model(r) for r in _run_rows(conn, query)]


def history(conn: sa.Connection, run_id: str) -> list[State]:
    """The run's state history, oldest first."""
    get_run_row(conn, run_id)
    rows = conn.execute(
        sa.select(t.flow_run_state)
        .where(t.flow_run_state.c.flow_run_id == run_id)
        .order_by(t.flow_run_state.c.id)
    ).all()
    return [
        State(type=StateType(r.type), name=r.name, message=r.message, timestamp=r.timestamp)
        for r in rows
    ]


def update_run(conn: sa.Connection, run_id: str, body: FlowRunUpdate) -> None:
    """Record the infrastructure id and merge labels."""
    run = get_run_row(conn, run_id)
    values: dict[str, Any] = {"updated": utcnow()}
    if body.infrastructure_id is not None:
        values["infrastructure_id"] = body.infrastructure_id
    if body.labels:
        values["labels"] = {**run.labels, **body.labels}
    conn.execute(t.flow_run.update().where(t.flow_run.c.id == run_id).values(**values))


def add_logs(conn: sa.Connection, logs: list[LogCreate]) -> int:
    """Store log lines (runs that do not exist are an error, naming the id)."""
    if not logs:
        return 0
    ids = {log.flow_run_id for log in logs}
    found = {
        r[0] for r in conn.execute(sa.select(t.flow_run.c.id).where(t.flow_run.c.id.in_(ids))).all()
    }
    missing = sorted(ids - found)
    if missing:
        raise Invalid(f"Flow run(s) not found: {', '.join(missing)}", field="flow_run_id")
    now = utcnow()
    conn.execute(
        t.log.insert(),
        [
            {
                "flow_run_id": log.flow_run_id,
                "level": log.level,
                "name": log.name,
                "message": log.message,
                "timestamp": log.timestamp or now,
            }
            for log in logs
        ],
    )
    return len(logs)


def read_logs(
    conn: sa.Connection, run_id: str, after_id: int = 0, limit: int = 1000
) -> list[tuple[int, Log]]:
    """A run's log lines in order, after a given line id."""
    get_run_row(conn, run_id)
    rows = conn.execute(
        sa.select(t.log)
        .where(t.log.c.flow_run_id == run_id, t.log.c.id > after_id)
        .order_by(t.log.c.id)
        .limit(limit)
    ).all()
    return [
        (
            r.id,
            Log(
                flow_run_id=r.flow_run_id,
                level=r.level,
                name=r.name,
                message=r.message,
                timestamp=r.timestamp,
            ),
        )
        for r in rows
    ]
