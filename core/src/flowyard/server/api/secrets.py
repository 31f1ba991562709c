"""The secrets store's routes: names and times for readers; values only to admins and to the
workers of a pool whose base job template names the secret."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from flowyard.schemas.secrets import Secret, SecretCreate, SecretRotate, SecretValue
from flowyard.server.api.deps import Perm, Role, caller_role, context, require
from flowyard.server.retry import RetryingRoute
from flowyard.server.secret_cipher import SecretCipher
from flowyard.server.services import secrets
from flowyard.server.services.context import ServerContext

router = APIRouter(prefix="/api", tags=["secrets"], route_class=RetryingRoute)
READ = Depends(require(Perm.read))
ADMIN = Depends(require(Perm.secrets))
WORK = Depends(require(Perm.work))


def _cipher(ctx: ServerContext) -> SecretCipher:
    return SecretCipher.from_settings(ctx.settings)


@router.post("/secrets", status_code=201, dependencies=[ADMIN])
def create_secret(body: SecretCreate, ctx: ServerContext = Depends(context)) -> Secret:
    """Store a secret, encrypted (admins). 422 when the server has no secrets key."""
    with ctx.db.write() as conn:
        return secrets.create_secret(conn, _cipher(ctx), body)


@router.get("/secrets", dependencies=[READ])
def list_secrets(ctx: ServerContext = Depends(context)) -> list[Secret]:
    """Names, kinds and created/rotated times; never a value."""
    with ctx.db.read() as conn:
        return secrets.list_secrets(conn)


@router.put("/secrets/{name}", dependencies=[ADMIN])
def rotate_secret(name: str, body: SecretRotate, ctx: ServerContext = Depends(context)) -> Secret:
    """Replace a secret's value (admins)."""
    with ctx.db.write() as conn:
        return secrets.rotate_secret(conn, _cipher(ctx), name, body.value.get_secret_value())


@router.delete("/secrets/{name}", status_code=204, dependencies=[ADMIN])
def delete_secret(name: str, ctx: ServerContext = Depends(context)) -> Response:
    """Delete a secret (admins)."""
    with ctx.db.write() as conn:
        secrets.delete_secret(conn, name)
    return Response(status_code=204)


@router.get("/work_pools/{pool}/secrets/{name}", dependencies=[WORK])
def reveal_for_pool(
    pool: str,
    name: str,
    ctx: ServerContext = Depends(context),
    role: Role | None = Depends(caller_role),
) -> SecretValue:
    """A secret's value for a worker of ``pool``: only when the pool's template names it."""
    with ctx.db.read() as conn:
        values = secrets.reveal_for_pool(
            conn, _cipher(ctx), pool, {name}, unrestricted=role in (None, Role.admin)
        )
    return values[name]
