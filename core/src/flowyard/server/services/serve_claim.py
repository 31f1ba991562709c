"""Claims for served deployments (``flow.serve``): runs with no work pool, taken by deployment id.

There are no pool or queue limits to respect, so each run is claimed with a conditional update
(``WHERE state = SCHEDULED``): of several racing servers exactly one update matches.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from flowyard.schemas.common import StateType, utcnow
from flowyard.server import tables as t
from flowyard.server.services.claimed import Claim, record_pending
from flowyard.server.services.ids import new_id


def due_runs(conn: sa.Connection, deployment_ids: list[str], limit: int) -> list[str]:
    """Ids of due SCHEDULED runs of these (pool-less) deployments, oldest first."""
    if not deployment_ids or limit <= 0:
        return []
    query = (
        sa.select(t.flow_run.c.id)
        .where(
            t.flow_run.c.deployment_id.in_(deployment_ids),
            t.flow_run.c.pool_id.is_(None),
            t.flow_run.c.state_type == StateType.SCHEDULED.value,
            t.flow_run.c.scheduled_time <= utcnow(),
        )
        .order_by(t.flow_run.c.scheduled_time, t.flow_run.c.id)
        .limit(limit)
    )
    return [r[0] for r in conn.execute(query).all()]


def claim_served(
    conn: sa.Connection, run_ids: list[str], worker_name: str, lease_seconds: float
) -> list[Claim]:
    """Move each still-SCHEDULED run to PENDING for ``worker_name``; returns what was claimed."""
    now = utcnow()
    lease = now + dt.timedelta(seconds=lease_seconds)
    claimed: list[Claim] = []
    for run_id in run_ids:
        claim_id = new_id()
        result = conn.execute(
            t.flow_run.update()
            .where(t.flow_run.c.id == run_id, t.flow_run.c.state_type == StateType.SCHEDULED.value)
            .values(
                state_type=StateType.PENDING.value,
                state_name="Pending",
                state_message=None,
                state_timestamp=now,
                updated=now,
                claim_id=claim_id,
                lease_expires=lease,
                worker_name=worker_name,
            )
        )
        if result.rowcount:
            claimed.append((run_id, claim_id, lease))
    record_pending(conn, [c[0] for c in claimed], f"Claimed by '{worker_name}' (served)", now)
    return claimed
