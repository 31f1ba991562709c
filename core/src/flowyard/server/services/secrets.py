"""The secrets store: create, list, rotate, delete, reveal; and which secrets a template names."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from flowyard.schemas.common import utcnow
from flowyard.schemas.secrets import Secret, SecretCreate, SecretKind, SecretValue
from flowyard.server import models as m
from flowyard.server import tables as t
from flowyard.server.errors import Conflict, Forbidden, NotFound
from flowyard.server.secret_cipher import SecretCipher
from flowyard.server.services.ids import new_id
from flowyard.templating.secret_refs import NAME

# ``{{ secret('aws-prod') }}`` (either quote) anywhere in a template or in job variables
SECRET_REFERENCE = re.compile(r"secret\(\s*['\"](" + NAME.pattern + r")['\"]\s*\)")


def referenced_secrets(document: Any) -> set[str]:
    """Names of the secrets ``document`` (a template or job variables, any JSON) refers to."""
    if isinstance(document, str):
        return set(SECRET_REFERENCE.findall(document))
    if isinstance(document, dict):
        document = list(document.values())
    if isinstance(document, list):
        return set().union(*(referenced_secrets(item) for item in document))
    return set()


def _model(row: m.Secret) -> Secret:
    return Secret(
        name=row.name, kind=SecretKind(row.kind), created=row.created, rotated=row.rotated
    )


def _row(conn: sa.Connection, name: str) -> m.Secret:
    row = conn.execute(sa.select(t.secret).where(t.secret.c.name == name)).first()
    if row is None:
        raise NotFound(f"Secret {name!r} not found; `flowyard secret ls` lists them.")
    return m.typed(m.Secret, row)


def create_secret(conn: sa.Connection, cipher: SecretCipher, body: SecretCreate) -> Secret:
    """Store a new secret (encrypted); 409 if the name is taken."""
    ciphertext = cipher.encrypt(body.value.get_secret_value())
    if conn.execute(sa.select(t.secret.c.id).where(t.secret.c.name == body.name)).first():
        raise Conflict(
            f"Secret {body.name!r} already exists; `flowyard secret rotate` changes its value.",
            code="already_exists",
        )
    conn.execute(
        t.secret.insert().values(
            id=new_id(),
            name=body.name,
            kind=body.kind.value,
            ciphertext=ciphertext,
            created=utcnow(),
        )
    )
    return _model(_row(conn, body.name))


def list_secrets(conn: sa.Connection) -> list[Secret]:
    """Every secret's name, kind and times, by name."""
    rows = conn.execute(sa.select(t.secret).order_by(t.secret.c.name)).all()
    return [_model(m.typed(m.Secret, r)) for r in rows]


def rotate_secret(conn: sa.Connection, cipher: SecretCipher, name: str, value: str) -> Secret:
    """Replace a secret's value."""
    ciphertext = cipher.encrypt(value)
    _row(conn, name)
    conn.execute(
        t.secret.update()
        .where(t.secret.c.name == name)
        .values(ciphertext=ciphertext, rotated=utcnow())
    )
    return _model(_row(conn, name))


def delete_secret(conn: sa.Connection, name: str) -> None:
    """Remove a secret."""
    _row(conn, name)
    conn.execute(t.secret.delete().where(t.secret.c.name == name))


def reveal_secret(conn: sa.Connection, cipher: SecretCipher, name: str) -> SecretValue:
    """The clear value (callers check who may see it)."""
    row = _row(conn, name)
    return SecretValue(
        name=row.name, kind=SecretKind(row.kind), value=cipher.decrypt(row.ciphertext)
    )


def pool_references(conn: sa.Connection, pool_name: str) -> set[str]:
    """Secrets named by a pool's base job template."""
    template = conn.execute(
        sa.select(t.work_pool.c.base_job_template).where(t.work_pool.c.name == pool_name)
    ).scalar()
    if template is None:
        raise NotFound(f"Work pool {pool_name!r} not found.", code="work_pool_not_found")
    return referenced_secrets(template)


def reveal_for_pool(
    conn: sa.Connection,
    cipher: SecretCipher,
    pool_name: str,
    names: set[str],
    *,
    unrestricted: bool = False,
) -> dict[str, SecretValue]:
    """The values of ``names`` for a worker of ``pool_name`` (a pull worker's request, or a push
    pool's in-server submitter): only secrets the pool's base job template names, never one named
    only by job variables (a deployer could otherwise read any secret through a run).

    :param unrestricted: skip that check (an administrator, or a server without auth).
    :raises Forbidden: naming the secrets the template does not name.
    :raises NotFound: the pool or a secret does not exist.
    """
    named = pool_references(conn, pool_name)
    refused = sorted(names - named)
    if refused and not unrestricted:
        listed = ", ".join(repr(name) for name in refused)
        raise Forbidden(
            f"Work pool {pool_name!r}'s base job template does not name secret(s) {listed}; "
            f"workers may only read the secrets their pool's template references "
            f"({{{{ secret('{refused[0]}') }}}}), not secrets named by job variables."
        )
    return {name: reveal_secret(conn, cipher, name) for name in sorted(names)}
