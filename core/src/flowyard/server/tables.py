"""Database tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from flowyard import limits as lim

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(lim.ID_LENGTH), primary_key=True)


def _created() -> sa.Column[dt.datetime]:
    return sa.Column("created", UTCDateTime(), nullable=False)


work_pool = sa.Table(
    "work_pool",
    metadata,
    _id(),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False, unique=True),
    sa.Column("type", sa.String(lim.TYPE_LENGTH), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("base_job_template", sa.JSON, nullable=False),
    sa.Column("is_paused", sa.Boolean, nullable=False, default=False),
    sa.Column("concurrency_limit", sa.Integer, nullable=True),
    sa.Column("default_queue_id", sa.String(lim.ID_LENGTH), nullable=True),
    _created(),
    sa.Column("updated", UTCDateTime(), nullable=False),
)

work_queue = sa.Table(
    "work_queue",
    metadata,
    _id(),
    sa.Column(
        "pool_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("work_pool.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("concurrency_limit", sa.Integer, nullable=True),
    sa.Column("is_paused", sa.Boolean, nullable=False, default=False),
    sa.Column("last_polled", UTCDateTime(), nullable=True),
    _created(),
    sa.UniqueConstraint("pool_id", "name", name="uq_work_queue_pool_name"),
)

worker = sa.Table(
    "worker",
    metadata,
    _id(),
    sa.Column(
        "pool_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("work_pool.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False),
    sa.Column("worker_type", sa.String(lim.TYPE_LENGTH), nullable=True),
    sa.Column("last_heartbeat", UTCDateTime(), nullable=False),
    sa.Column("heartbeat_interval_seconds", sa.Float, nullable=True),
    sa.Column("run_limit", sa.Integer, nullable=True),
    # push pools: when this (server) worker last submitted a run (0007)
    sa.Column("last_submit", UTCDateTime(), nullable=True),
    sa.Column("stopped", UTCDateTime(), nullable=True),  # it said it is leaving (SIGTERM)
    _created(),
    sa.UniqueConstraint("pool_id", "name", name="uq_worker_pool_name"),
)

flow = sa.Table(
    "flow",
    metadata,
    _id(),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False, unique=True),
    _created(),
)

deployment = sa.Table(
    "deployment",
    metadata,
    _id(),
    sa.Column(
        "flow_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("flow.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False),
    sa.Column(
        "pool_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("work_pool.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column(
        "queue_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("work_queue.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("entrypoint", sa.String(lim.ENTRYPOINT_LENGTH), nullable=True),
    sa.Column("path", sa.String(lim.PATH_LENGTH), nullable=True),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("parameter_schema", sa.JSON, nullable=True),  # the flow's, sent at deploy
    sa.Column("job_variables", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("schedule_error", sa.Text, nullable=True),  # the scheduler's last failure (0004)
    _created(),
    sa.Column("updated", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("flow_id", "name", name="uq_deployment_flow_name"),
)

deployment_schedule = sa.Table(
    "deployment_schedule",
    metadata,
    _id(),
    sa.Column(
        "deployment_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("deployment.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("slug", sa.String(lim.NAME_LENGTH), nullable=False),
    sa.Column("schedule", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    _created(),
    sa.UniqueConstraint("deployment_id", "slug", name="uq_deployment_schedule_slug"),
)

flow_run = sa.Table(
    "flow_run",
    metadata,
    _id(),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False),
    sa.Column(
        "flow_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("flow.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "deployment_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("deployment.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column(
        "pool_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("work_pool.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column(
        "queue_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("work_queue.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("job_variables", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("labels", sa.JSON, nullable=False),
    sa.Column("state_type", sa.String(lim.STATE_TYPE_LENGTH), nullable=False),
    sa.Column("state_name", sa.String(lim.STATE_NAME_LENGTH), nullable=False),
    sa.Column("state_message", sa.Text, nullable=True),
    sa.Column("state_timestamp", UTCDateTime(), nullable=False),
    sa.Column("scheduled_time", UTCDateTime(), nullable=False),
    sa.Column("start_time", UTCDateTime(), nullable=True),
    sa.Column("end_time", UTCDateTime(), nullable=True),
    sa.Column("infrastructure_id", sa.String(lim.INFRASTRUCTURE_ID_LENGTH), nullable=True),
    sa.Column("worker_name", sa.String(lim.NAME_LENGTH), nullable=True),
    sa.Column("claim_id", sa.String(lim.ID_LENGTH), nullable=True),
    sa.Column("lease_expires", UTCDateTime(), nullable=True),
    sa.Column("idempotency_key", sa.String(lim.IDEMPOTENCY_KEY_LENGTH), nullable=True),
    sa.Column("auto_scheduled", sa.Boolean, nullable=False, default=False),
    _created(),
    sa.Column("updated", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("flow_id", "idempotency_key", name="uq_flow_run_idempotency"),
    sa.Index("ix_flow_run_claimable", "pool_id", "state_type", "scheduled_time"),
    sa.Index("ix_flow_run_queue_state", "queue_id", "state_type"),
    sa.Index("ix_flow_run_lease", "state_type", "lease_expires"),
    # the UI's run lists: newest first by (scheduled_time, id), keyset-paginated (0003)
    sa.Index("ix_flow_run_scheduled", "scheduled_time", "id"),
    sa.Index("ix_flow_run_pool_scheduled", "pool_id", "scheduled_time", "id"),
    sa.Index("ix_flow_run_deployment_scheduled", "deployment_id", "scheduled_time", "id"),
    sa.Index("ix_flow_run_state_scheduled", "state_type", "scheduled_time", "id"),
    # the claim's per-queue candidates and the late-runs loop (0005)
    sa.Index("ix_flow_run_queue_claimable", "queue_id", "state_type", "scheduled_time", "id"),
    sa.Index("ix_flow_run_late", "state_type", "state_name", "scheduled_time"),
    # the scheduler's per-schedule count of future runs (0007; replaces (deployment_id, state_type))
    sa.Index("ix_flow_run_deployment_due", "deployment_id", "state_type", "scheduled_time"),
)

flow_run_state = sa.Table(
    "flow_run_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "flow_run_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("flow_run.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("type", sa.String(lim.STATE_TYPE_LENGTH), nullable=False),
    sa.Column("name", sa.String(lim.STATE_NAME_LENGTH), nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("timestamp", UTCDateTime(), nullable=False),
)

log = sa.Table(
    "log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "flow_run_id",
        sa.String(lim.ID_LENGTH),
        sa.ForeignKey("flow_run.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False, default=""),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("timestamp", UTCDateTime(), nullable=False),
)

api_key = sa.Table(
    "api_key",
    metadata,
    _id(),
    sa.Column("name", sa.String(lim.NAME_LENGTH), nullable=False, unique=True),
    sa.Column("role", sa.String(lim.ROLE_LENGTH), nullable=False),
    sa.Column("key_hash", sa.String(lim.KEY_HASH_LENGTH), nullable=False, unique=True),
    # a worker key bound to pools acts only on their runs and workers; NULL: every pool (0004)
    sa.Column("pools", sa.JSON, nullable=True),
    _created(),
)

secret = sa.Table(
    "secret",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("ciphertext", sa.Text, nullable=False),  # Fernet token; never the clear value
    _created(),
    sa.Column("rotated", UTCDateTime(), nullable=True),
)

server_key = sa.Table(  # keys the replicas share (e.g. the flow-run token HMAC key)
    "server_key",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
