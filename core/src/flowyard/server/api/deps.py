"""Request dependencies: the server context and API-key authorisation."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from enum import StrEnum

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request

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


GRANTS: dict[Role, frozenset[Perm]] = {
    Role.admin: frozenset(Perm),
    Role.deployer: frozenset({Perm.read, Perm.deployments, Perm.runs}),
    Role.worker: frozenset({Perm.read, Perm.work}),
    Role.read_only: frozenset({Perm.read}),
}


def hash_key(key: str) -> str:
    """SHA-256 of an API key (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def context(request: Request) -> ServerContext:
    """The app's :class:`ServerContext`."""
    ctx: ServerContext = request.app.state.ctx
    return ctx


def require(perm: Perm) -> Callable[[Request], None]:
    """A dependency that answers 401 without a valid key and 403 when the role lacks ``perm``."""

    def check(request: Request, ctx: ServerContext = Depends(context)) -> None:
        if not ctx.settings.server_auth:
            return
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise HTTPException(
                401,
                "Missing API key: send 'Authorization: Bearer <key>' (FLOWYARD_API_KEY).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        with ctx.db.read() as conn:
            role = conn.execute(
                sa.select(t.api_key.c.role).where(t.api_key.c.key_hash == hash_key(key))
            ).scalar()
        if role is None:
            raise HTTPException(401, "Invalid API key.", headers={"WWW-Authenticate": "Bearer"})
        if perm not in GRANTS[Role(role)]:
            raise HTTPException(
                403, f"API keys with role '{role}' may not do this (needs '{perm.value}')."
            )

    return check
