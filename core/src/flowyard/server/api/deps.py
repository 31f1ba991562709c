"""Request dependencies: the server context and API-key authorisation."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from enum import StrEnum

import anyio
import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request

from flowyard.server import run_tokens
from flowyard.server import tables as t
from flowyard.server.services.context import ServerContext


class Role(StrEnum):
    """API-key roles."""

    admin = "admin"
    deployer = "deployer"
    worker = "worker"
    read_only = "read-only"


class Perm(StrEnum):
    """What a route needs."""

    read = "read"
    pools = "pools:write"
    deployments = "deployments:write"
    runs = "runs:write"
    work = "work"
    keys = "keys:write"
    secrets = "secrets:write"  # create, rotate, delete and reveal secrets: admins only


GRANTS: dict[Role, frozenset[Perm]] = {
    Role.admin: frozenset(Perm),
    Role.deployer: frozenset({Perm.read, Perm.deployments, Perm.runs}),
    Role.worker: frozenset({Perm.read, Perm.work}),
    Role.read_only: frozenset({Perm.read}),
}


def hash_key(key: str) -> str:
    """SHA-256 of an API key (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


async def context(request: Request) -> ServerContext:
    """The app's :class:`ServerContext`.

    ``async`` although it does no I/O: FastAPI runs a plain ``def`` dependency in its thread
    pool, and that hop cost more than the rest of a small request.
    """
    ctx: ServerContext = request.app.state.ctx
    return ctx


def require(perm: Perm) -> Callable[[Request, ServerContext], Awaitable[None]]:
    """A dependency that answers 401 without a valid key and 403 when the role lacks ``perm``.

    Without auth it answers on the event loop; the key lookup (a database read) runs in the
    thread pool.
    """

    async def check(request: Request, ctx: ServerContext = Depends(context)) -> None:
        if ctx.settings.server_auth:
            await anyio.to_thread.run_sync(_authorise, request, ctx, perm)

    return check


def _authorise(request: Request, ctx: ServerContext, perm: Perm) -> None:
    """The key checks of :func:`require` (blocking: reads the key's role)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise HTTPException(
            401,
            "Missing API key: send 'Authorization: Bearer <key>' (FLOWYARD_API_KEY).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if run_tokens.is_run_token(key):
        _check_run_token(request, ctx, key)
        return
    with ctx.db.read() as conn:
        found = conn.execute(
            sa.select(t.api_key.c.role, t.api_key.c.pools).where(
                t.api_key.c.key_hash == hash_key(key)
            )
        ).first()
    role = found.role if found else None
    if role is None:
        raise HTTPException(401, "Invalid API key.", headers={"WWW-Authenticate": "Bearer"})
    request.state.api_role = role
    if perm not in GRANTS[Role(role)]:
        raise HTTPException(
            403, f"API keys with role '{role}' may not do this (needs '{perm.value}')."
        )
    if role == Role.worker.value and found is not None and found.pools is not None:
        request.state.worker_pools = list(found.pools)
        # /work_pools/{name}/... and /work_pools/{pool}/secrets/{name}
        pool = request.path_params.get("pool") or request.path_params.get("name")
        if perm is Perm.work and request.url.path.startswith("/api/work_pools/"):
            check_pool(request, pool)


def is_worker_key(request: Request) -> bool:
    """The request carries a worker key (bound to pools or not)."""
    return getattr(request.state, "api_role", None) == Role.worker.value


def refuse_worker_key(request: Request, what: str) -> None:
    """403 for a worker key: ``what`` is beyond what a worker needs (it claims, runs, reports)."""
    if is_worker_key(request):
        raise HTTPException(
            403,
            f"Worker keys may not {what}; use a deployer or admin key (what a worker does: "
            "claim runs, report their states and logs, heartbeat).",
        )


def worker_pools(request: Request) -> list[str] | None:
    """The pools the request's worker key is bound to; ``None``: not a bound worker key."""
    pools: list[str] | None = getattr(request.state, "worker_pools", None)
    return pools


def check_pool(request: Request, pool_name: str | None) -> None:
    """403 unless the request's key may act on ``pool_name`` (a bound worker key: its pools)."""
    pools = worker_pools(request)
    if pools is not None and pool_name not in pools:
        raise HTTPException(
            403,
            f"This worker key is bound to the pools {', '.join(pools) or '(none)'}; "
            f"it may not act on {'pool ' + repr(pool_name) if pool_name else 'runs without a pool'}.",
        )


def check_run(request: Request, conn: sa.Connection, run_id: str) -> None:
    """403 unless a bound worker key works the run's pool (no-op for other keys)."""
    if worker_pools(request) is None:
        return
    pool_name = conn.execute(
        sa.select(t.work_pool.c.name)
        .select_from(t.flow_run.join(t.work_pool, t.work_pool.c.id == t.flow_run.c.pool_id))
        .where(t.flow_run.c.id == run_id)
    ).scalar()
    check_pool(request, pool_name)


def caller_role(request: Request, ctx: ServerContext = Depends(context)) -> Role | None:
    """The role of the request's API key; ``None`` on a server without auth (everyone is admin).

    Routes that decide per object (e.g. a worker revealing a secret its pool's template names)
    use it after a ``require`` dependency has already refused missing or wrong keys.
    """
    if not ctx.settings.server_auth:
        return None
    _, _, key = request.headers.get("authorization", "").partition(" ")
    with ctx.db.read() as conn:
        role = conn.execute(
            sa.select(t.api_key.c.role).where(t.api_key.c.key_hash == hash_key(key))
        ).scalar()
    return Role(role) if role is not None else None


def run_token_key(ctx: ServerContext) -> bytes:
    """The flow-run token HMAC key (read once per server context)."""
    if ctx.run_token_key is None:
        ctx.run_token_key = run_tokens.signing_key(ctx.db, ctx.settings)
    return ctx.run_token_key


def _check_run_token(request: Request, ctx: ServerContext, token: str) -> None:
    run_id = run_tokens.verify(run_token_key(ctx), token)
    if run_id is None:
        raise HTTPException(
            401, "Invalid or expired flow-run token.", headers={"WWW-Authenticate": "Bearer"}
        )
    with ctx.db.read() as conn:
        deployment_id = conn.execute(
            sa.select(t.flow_run.c.deployment_id).where(t.flow_run.c.id == run_id)
        ).scalar()
    scope = run_tokens.RunScope(run_id=run_id, deployment_id=deployment_id)
    if not run_tokens.allows(scope, request.method, request.url.path, request.path_params):
        raise HTTPException(
            403,
            "A flow run's token may only read its own run and deployment and write its own "
            "states and logs.",
        )
    request.state.run_token_run_id = run_id


def token_run_id(request: Request) -> str | None:
    """The run a flow-run token is scoped to (``None`` for API keys and servers without auth)."""
    run_id: str | None = getattr(request.state, "run_token_run_id", None)
    return run_id
