"""A push pool's status: READY when its type is installed here and its credentials resolve."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from flowyard.plugins import worker_types
from flowyard.pool_types import worker_type_of
from flowyard.schemas.common import PoolStatus, utcnow
from flowyard.schemas.pools import PushStatus
from flowyard.server import models as m
from flowyard.server import tables as t
from flowyard.server.push.identity import WORKER_PREFIX
from flowyard.server.services.secrets import referenced_secrets


def _missing_secrets(conn: sa.Connection, names: set[str]) -> list[str]:
    if not names:
        return []
    found = set(
        conn.execute(sa.select(t.secret.c.name).where(t.secret.c.name.in_(names))).scalars()
    )
    return sorted(names - found)


def _serving(
    conn: sa.Connection, pool_id: str, multiple: float
) -> tuple[list[str], dt.datetime | None]:
    """Online replicas serving the pool (``push@<replica>`` workers) and the latest submit."""
    from flowyard.server.services.pools import worker_is_online

    now = utcnow()
    rows = conn.execute(
        sa.select(
            t.worker.c.name,
            t.worker.c.last_heartbeat,
            t.worker.c.heartbeat_interval_seconds,
            t.worker.c.stopped,
            t.worker.c.last_submit,
        ).where(t.worker.c.pool_id == pool_id, t.worker.c.name.like(WORKER_PREFIX + "%"))
    ).all()
    served = sorted(
        r.name.removeprefix(WORKER_PREFIX) for r in rows if worker_is_online(r, now, multiple)
    )
    submits = [r.last_submit for r in rows if r.last_submit is not None]
    return served, max(submits) if submits else None


def push_status(
    conn: sa.Connection, row: m.WorkPool, multiple: float
) -> tuple[PoolStatus, PushStatus]:
    """The pool's status and push details (PAUSED wins; then installed; then credentials)."""
    base = worker_type_of(row.type)
    installed = base in worker_types().installed()
    names = referenced_secrets((row.base_job_template or {}).get("job_configuration"))
    missing = _missing_secrets(conn, names)
    served, last_submit = _serving(conn, row.id, multiple)
    reason = None
    if not installed:
        reason = (
            f"worker type {base!r} is not installed on the server; install its package where "
            "the server runs (`flowyard worker types` shows the package)"
        )
    elif missing:
        reason = (
            f"secret(s) {', '.join(repr(m) for m in missing)} named by the pool's template do "
            "not exist; create them with `flowyard secret create`"
        )
    status = (
        PoolStatus.PAUSED if row.is_paused else PoolStatus.NOT_READY if reason else PoolStatus.READY
    )
    return status, PushStatus(
        worker_type=base,
        installed=installed,
        credentials="missing" if missing else "resolved" if names else "ambient",
        missing_secrets=missing,
        served_by=served,
        last_submit=last_submit,
        reason=reason,
    )
