"""Who a replica's push submitters are: the replica's name, its API URL and (with auth) its key."""

from __future__ import annotations

import secrets
import socket

import sqlalchemy as sa

from flowyard.schemas.common import utcnow
from flowyard.server import tables as t
from flowyard.server.services.context import ServerContext
from flowyard.server.services.ids import new_id
from flowyard.settings import Settings

WORKER_PREFIX = "push@"


def replica_name(settings: Settings) -> str:
    """This replica's stable name (``server_replica_name``, else ``<hostname>-<port>``)."""
    return settings.server_replica_name or f"{socket.gethostname()}-{settings.server_port}"


def submitter_name(settings: Settings) -> str:
    """The worker name this replica's submitters claim runs under: ``push@<replica>``."""
    return WORKER_PREFIX + replica_name(settings)


def api_url(settings: Settings) -> str:
    """The URL the submitters call and the runs' engines use (``server_push_api_url``)."""
    if settings.server_push_api_url:
        return settings.server_push_api_url.rstrip("/")
    host = settings.server_host if settings.server_host not in ("0.0.0.0", "::", "") else None
    return f"http://{host or '127.0.0.1'}:{settings.server_port}/api"


def issue_key(ctx: ServerContext) -> str | None:
    """With ``server_auth``: a fresh worker-role key for this replica's submitters, else None.

    The key lives in this process's memory only; its hash replaces the replica's previous one
    (api key ``push@<replica>``), so a restart never accumulates keys. It never reaches a run:
    runs get their own scoped tokens.
    """
    if not ctx.settings.server_auth:
        return None
    from flowyard.server.api.deps import hash_key

    key = "fypush_" + secrets.token_urlsafe(32)
    name = submitter_name(ctx.settings)
    with ctx.db.write() as conn:
        conn.execute(t.api_key.delete().where(t.api_key.c.name == name))
        conn.execute(
            t.api_key.insert().values(
                id=new_id(), name=name, role="worker", key_hash=hash_key(key), created=utcnow()
            )
        )
    return key


def record_submit(ctx: ServerContext, pool_name: str, worker_name: str) -> None:
    """Remember when this replica last submitted a run of the pool (``work-pool inspect``)."""
    with ctx.db.write() as conn:
        pool_id = sa.select(t.work_pool.c.id).where(t.work_pool.c.name == pool_name)
        conn.execute(
            t.worker.update()
            .where(t.worker.c.pool_id == pool_id.scalar_subquery(), t.worker.c.name == worker_name)
            .values(last_submit=utcnow())
        )
