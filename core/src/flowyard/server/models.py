"""The stored tables as SQLModel models: one declaration gives the columns and typed rows.

Each table model's fields carry the bounds of :mod:`flowyard.limits` (string lengths, numeric
ranges, timezone-aware datetimes) and the column each maps to. ``flowyard.server.tables`` exposes
their SQLAlchemy tables (``Model.__table__``) under the Core names the services' statements use
(``t.flow_run``), so the claim path keeps its dialect-specific statements (``FOR UPDATE``,
``BEGIN IMMEDIATE``, ``ON CONFLICT``). The Alembic migrations create the schema;
``test_schema_agreement.py`` checks they create exactly these tables on SQLite and PostgreSQL.

Rows read with Core come back typed through :func:`typed` (no validation: a stored row is
trusted as stored, so an old or hand-made row beyond today's bounds still reads).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from pydantic import AwareDatetime
from sqlalchemy.orm import configure_mappers, registry
from sqlmodel import Field, SQLModel

from flowyard import limits as lim

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        """Refuse naive datetimes; store UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        """Read back aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Table(SQLModel, registry=registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))):
    """Base of the table models (their own metadata, with the constraint naming convention)."""


def _str(length: int, **kw: Any) -> Any:
    return Field(max_length=length, sa_type=sa.String(length), **kw)


def _id(**kw: Any) -> Any:
    return Field(primary_key=True, max_length=lim.ID_LENGTH, sa_type=sa.String(lim.ID_LENGTH), **kw)


def _ref(
    target: str, ondelete: Literal["CASCADE", "SET NULL"], *, nullable: bool, **kw: Any
) -> Any:
    return Field(
        default=None if nullable else ...,
        max_length=lim.ID_LENGTH,
        sa_type=sa.String(lim.ID_LENGTH),
        foreign_key=target,
        ondelete=ondelete,
        nullable=nullable,
        **kw,
    )


def _serial() -> Any:
    return Field(default=None, primary_key=True, sa_column_kwargs={"autoincrement": True})


def _message() -> Any:
    return Field(default=None, max_length=lim.MESSAGE_LENGTH, sa_type=sa.Text, nullable=True)


def _when(*, nullable: bool = False) -> Any:
    return Field(default=None if nullable else ..., sa_type=UTCDateTime, nullable=nullable)


def _json(*, nullable: bool = False) -> Any:
    return Field(default=None if nullable else ..., sa_type=sa.JSON, nullable=nullable)


def _count(*, minimum: int = 0) -> Any:
    return Field(default=None, ge=minimum, le=lim.COUNT_MAX, nullable=True)


class WorkPool(Table, table=True):
    """A work pool."""

    __tablename__ = "work_pool"
    id: str = _id()
    name: str = _str(lim.NAME_LENGTH, unique=True)
    type: str = _str(lim.TYPE_LENGTH)
    description: str = Field(default="", max_length=lim.DESCRIPTION_LENGTH, sa_type=sa.Text)
    base_job_template: dict[str, Any] = _json()
    is_paused: bool = Field(default=False)
    concurrency_limit: int | None = _count()
    default_queue_id: str | None = Field(
        default=None, max_length=lim.ID_LENGTH, sa_type=sa.String(lim.ID_LENGTH)
    )
    created: AwareDatetime = _when()
    updated: AwareDatetime = _when()


class WorkQueue(Table, table=True):
    """A work queue of a pool."""

    __tablename__ = "work_queue"
    __table_args__ = (sa.UniqueConstraint("pool_id", "name", name="uq_work_queue_pool_name"),)
    id: str = _id()
    pool_id: str = _ref("work_pool.id", "CASCADE", nullable=False)
    name: str = _str(lim.NAME_LENGTH)
    description: str = Field(default="", max_length=lim.DESCRIPTION_LENGTH, sa_type=sa.Text)
    priority: int = Field(ge=1, le=lim.COUNT_MAX)
    concurrency_limit: int | None = _count()
    is_paused: bool = Field(default=False)
    last_polled: AwareDatetime | None = _when(nullable=True)
    created: AwareDatetime = _when()


class Worker(Table, table=True):
    """A worker of a pool, as its heartbeats describe it."""

    __tablename__ = "worker"
    __table_args__ = (sa.UniqueConstraint("pool_id", "name", name="uq_worker_pool_name"),)
    id: str = _id()
    pool_id: str = _ref("work_pool.id", "CASCADE", nullable=False)
    name: str = _str(lim.NAME_LENGTH)
    worker_type: str | None = _str(lim.TYPE_LENGTH, default=None, nullable=True)
    last_heartbeat: AwareDatetime = _when()
    heartbeat_interval_seconds: float | None = Field(
        default=None, gt=0, le=lim.SECONDS_MAX, nullable=True
    )
    run_limit: int | None = _count()
    # push pools: when this (server) worker last submitted a run (0008)
    last_submit: AwareDatetime | None = _when(nullable=True)
    stopped: AwareDatetime | None = _when(nullable=True)  # it said it is leaving (SIGTERM)
    created: AwareDatetime = _when()


class Flow(Table, table=True):
    """A flow (by name)."""

    __tablename__ = "flow"
    id: str = _id()
    name: str = _str(lim.NAME_LENGTH, unique=True)
    created: AwareDatetime = _when()


class Deployment(Table, table=True):
    """A deployment of a flow."""

    __tablename__ = "deployment"
    __table_args__ = (sa.UniqueConstraint("flow_id", "name", name="uq_deployment_flow_name"),)
    id: str = _id()
    flow_id: str = _ref("flow.id", "CASCADE", nullable=False)
    name: str = _str(lim.NAME_LENGTH)
    pool_id: str | None = _ref("work_pool.id", "SET NULL", nullable=True)
    queue_id: str | None = _ref("work_queue.id", "SET NULL", nullable=True)
    entrypoint: str | None = _str(lim.ENTRYPOINT_LENGTH, default=None, nullable=True)
    path: str | None = _str(lim.PATH_LENGTH, default=None, nullable=True)
    parameters: dict[str, Any] = _json()
    parameter_schema: dict[str, Any] | None = _json(nullable=True)  # the flow's, sent at deploy
    job_variables: dict[str, Any] = _json()
    tags: list[str] = _json()
    description: str = Field(default="", max_length=lim.DESCRIPTION_LENGTH, sa_type=sa.Text)
    paused: bool = Field(default=False)
    schedule_error: str | None = Field(default=None, sa_type=sa.Text, nullable=True)
    created: AwareDatetime = _when()
    updated: AwareDatetime = _when()


class DeploymentSchedule(Table, table=True):
    """One schedule of a deployment."""

    __tablename__ = "deployment_schedule"
    __table_args__ = (
        sa.UniqueConstraint("deployment_id", "slug", name="uq_deployment_schedule_slug"),
    )
    id: str = _id()
    deployment_id: str = _ref("deployment.id", "CASCADE", nullable=False)
    slug: str = _str(lim.NAME_LENGTH)
    schedule: dict[str, Any] = _json()
    active: bool = Field(default=True)
    created: AwareDatetime = _when()


class FlowRun(Table, table=True):
    """A flow run: its inputs, its current state, and its claim."""

    __tablename__ = "flow_run"
    __table_args__ = (
        sa.UniqueConstraint("flow_id", "idempotency_key", name="uq_flow_run_idempotency"),
        sa.Index("ix_flow_run_claimable", "pool_id", "state_type", "scheduled_time"),
        sa.Index("ix_flow_run_lease", "state_type", "lease_expires"),
        # the UI's run lists: newest first by (scheduled_time, id), keyset-paginated (0003)
        sa.Index("ix_flow_run_scheduled", "scheduled_time", "id"),
        sa.Index("ix_flow_run_pool_scheduled", "pool_id", "scheduled_time", "id"),
        sa.Index("ix_flow_run_deployment_scheduled", "deployment_id", "scheduled_time", "id"),
        sa.Index("ix_flow_run_state_scheduled", "state_type", "scheduled_time", "id"),
        # the claim's per-queue candidates and the late-runs loop (0005); it also serves what
        # (queue_id, state_type) did, its prefix, dropped in 0009
        sa.Index("ix_flow_run_queue_claimable", "queue_id", "state_type", "scheduled_time", "id"),
        sa.Index("ix_flow_run_late", "state_type", "state_name", "scheduled_time"),
        # the scheduler's per-schedule count of future runs (0007; replaces (deployment_id, state_type))
        sa.Index("ix_flow_run_deployment_due", "deployment_id", "state_type", "scheduled_time"),
    )
    id: str = _id()
    name: str = _str(lim.NAME_LENGTH)
    flow_id: str = _ref("flow.id", "CASCADE", nullable=False)
    deployment_id: str | None = _ref("deployment.id", "SET NULL", nullable=True)
    pool_id: str | None = _ref("work_pool.id", "SET NULL", nullable=True)
    queue_id: str | None = _ref("work_queue.id", "SET NULL", nullable=True)
    parameters: dict[str, Any] = _json()
    job_variables: dict[str, Any] = _json()
    tags: list[str] = _json()
    labels: dict[str, Any] = _json()
    state_type: str = _str(lim.STATE_TYPE_LENGTH)
    state_name: str = _str(lim.STATE_NAME_LENGTH)
    state_message: str | None = _message()
    state_timestamp: AwareDatetime = _when()
    scheduled_time: AwareDatetime = _when()
    start_time: AwareDatetime | None = _when(nullable=True)
    end_time: AwareDatetime | None = _when(nullable=True)
    infrastructure_id: str | None = _str(lim.INFRASTRUCTURE_ID_LENGTH, default=None, nullable=True)
    worker_name: str | None = _str(lim.NAME_LENGTH, default=None, nullable=True)
    claim_id: str | None = _str(lim.ID_LENGTH, default=None, nullable=True)
    lease_expires: AwareDatetime | None = _when(nullable=True)
    idempotency_key: str | None = _str(lim.IDEMPOTENCY_KEY_LENGTH, default=None, nullable=True)
    auto_scheduled: bool = Field(default=False)
    created: AwareDatetime = _when()
    updated: AwareDatetime = _when()


class FlowRunState(Table, table=True):
    """One entry of a run's state history."""

    __tablename__ = "flow_run_state"
    id: int | None = _serial()
    flow_run_id: str = _ref("flow_run.id", "CASCADE", nullable=False, index=True)
    type: str = _str(lim.STATE_TYPE_LENGTH)
    name: str = _str(lim.STATE_NAME_LENGTH)
    message: str | None = _message()
    timestamp: AwareDatetime = _when()


class Log(Table, table=True):
    """One log line of a run."""

    __tablename__ = "log"
    id: int | None = _serial()
    flow_run_id: str = _ref("flow_run.id", "CASCADE", nullable=False, index=True)
    level: int = Field(ge=0, le=lim.LOG_LEVEL_MAX)
    name: str = _str(lim.NAME_LENGTH, default="")
    message: str = Field(max_length=lim.MESSAGE_LENGTH, sa_type=sa.Text)
    timestamp: AwareDatetime = _when()


class ApiKey(Table, table=True):
    """An API key (its hash) and its role."""

    __tablename__ = "api_key"
    id: str = _id()
    name: str = _str(lim.NAME_LENGTH, unique=True)
    role: str = _str(lim.ROLE_LENGTH)
    key_hash: str = _str(lim.KEY_HASH_LENGTH, unique=True)
    # a worker key bound to pools acts only on their runs and workers; NULL: every pool (0004)
    pools: list[str] | None = _json(nullable=True)
    created: AwareDatetime = _when()


class Secret(Table, table=True):
    """A stored secret (its Fernet token, never the clear value)."""

    __tablename__ = "secret"
    id: str = _id()
    name: str = _str(200, unique=True)
    kind: str = _str(20)
    ciphertext: str = Field(sa_type=sa.Text)
    created: AwareDatetime = _when()
    rotated: AwareDatetime | None = _when(nullable=True)


class ServerKey(Table, table=True):
    """A key the replicas share (e.g. the flow-run token HMAC key)."""

    __tablename__ = "server_key"
    name: str = Field(primary_key=True, max_length=100, sa_type=sa.String(100))
    value: str = Field(sa_type=sa.Text)


M = TypeVar("M", bound=Table)


def typed(model: type[M], row: sa.Row[Any]) -> M:
    """A Core row as its table model, without validation (the row is trusted as stored)."""
    return model.model_construct(**row._mapping)


configure_mappers()  # typed rows need the models' attribute instrumentation set up
