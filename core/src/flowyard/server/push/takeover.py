"""Recovery: a replica takes over, under their claims, the push runs a stopped replica held.

A push run is claimed by the pool's service, not by one process: when the replica holding it
stops renewing its lease (SIGKILL, a crashed host), or has not heartbeated for a claim lease (a
RUNNING run's own lease is the much longer running lease), any replica serving the pool moves
the run to itself **keeping its claim id** (one conditional UPDATE, so exactly one replica
wins), then looks for its infrastructure with the type's ``lookup`` before it would submit.
Keeping the claim matters: infrastructure the stopped replica had already started carries that
claim in its environment, and its engine can still report RUNNING and its final state.

At start a replica also takes back the runs held under its own name (it was restarted), whatever
their leases. The lease-expiry services leave push runs to this for a grace period
(:data:`GRACE_LEASES` leases) before handing them back to SCHEDULED or CRASHED as usual, so runs
of a pool no replica can serve are not stranded.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from flowyard.schemas.common import StateType, utcnow
from flowyard.server import tables as t
from flowyard.server.push.identity import WORKER_PREFIX
from flowyard.server.services.context import ServerContext

GRACE_LEASES = 3
"""How many claim leases past expiry a push run waits for a replica to take it over."""

HELD_STATES = (StateType.PENDING.value, StateType.RUNNING.value, StateType.CANCELLING.value)


def take_over(ctx: ServerContext, pool_name: str, me: str, *, restarted: bool) -> list[str]:
    """Move to worker ``me`` the pool's push runs whose replica stopped; returns their ids.

    :param restarted: also take the runs held under ``me`` itself, whatever their lease (the
        replica just started under its old name).
    """
    now = utcnow()
    claim_lease = dt.timedelta(seconds=ctx.settings.server_claim_lease_seconds)
    run = t.flow_run
    with ctx.db.write() as conn:
        pool_id = conn.execute(
            sa.select(t.work_pool.c.id).where(t.work_pool.c.name == pool_name)
        ).scalar()
        if pool_id is None:
            return []
        # a RUNNING run's lease is the long running lease (300 s by default); its replica's
        # silence is known sooner: no heartbeat for a claim lease (three missed heartbeats)
        silent = sa.exists().where(
            t.worker.c.pool_id == pool_id,
            t.worker.c.name == run.c.worker_name,
            t.worker.c.last_heartbeat < now - claim_lease,
        )
        lapsed = sa.and_(run.c.worker_name != me, sa.or_(run.c.lease_expires < now, silent))
        who = sa.or_(run.c.worker_name == me, lapsed) if restarted else lapsed
        held = sa.and_(
            run.c.pool_id == pool_id,
            run.c.state_type.in_(HELD_STATES),
            run.c.claim_id.is_not(None),
            run.c.worker_name.like(WORKER_PREFIX + "%"),
            who,
        )
        ids = list(conn.execute(sa.select(run.c.id).where(held).limit(500)).scalars())
        taken = []
        for run_id in ids:
            moved = conn.execute(
                run.update()
                .where(run.c.id == run_id, held)
                .values(worker_name=me, lease_expires=now + claim_lease, updated=now)
            )
            if moved.rowcount:
                taken.append(run_id)
    return taken


def not_push_held(
    worker_name: sa.ColumnElement[str],
    lease_expires: sa.ColumnElement[dt.datetime],
    now: dt.datetime,
    lease_seconds: float,
) -> sa.ColumnElement[bool]:
    """For the lease-expiry services: a run they may expire now (not a push run still in its
    takeover grace)."""
    grace = now - dt.timedelta(seconds=lease_seconds * GRACE_LEASES)
    return sa.or_(
        worker_name.is_(None),
        sa.not_(worker_name.like(WORKER_PREFIX + "%")),
        lease_expires < grace,
    )
