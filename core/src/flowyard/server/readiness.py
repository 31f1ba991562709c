"""Readiness of a server: its database answers and its schema is at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from flowyard.server.db import Database, head_revisions


@dataclass(frozen=True)
class Readiness:
    """Whether the server can serve requests, and why not."""

    ready: bool
    reason: str


def readiness(db: Database) -> Readiness:
    """Check the database connection and the migration revision (never raises).

    The reason names the exception class only: driver messages can carry host names and users,
    which have no place in an unauthenticated response.
    """
    try:
        with db.read() as conn:
            conn.execute(sa.text("SELECT 1"))
        current = db.current_revisions()
    except sa.exc.SQLAlchemyError as exc:
        return Readiness(False, f"database unreachable ({type(exc).__name__})")
    heads = head_revisions()
    if current != heads:
        at = ", ".join(sorted(current)) or "no schema"
        return Readiness(
            False,
            f"migrations pending: database at {at}, this server expects "
            f"{', '.join(sorted(heads))}; run `flowyard server migrate`",
        )
    return Readiness(True, "database reachable, migrations current")
