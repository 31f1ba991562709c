"""API keys for server tests, written straight into the test database."""

from __future__ import annotations

import os

from flowyard.schemas.common import utcnow
from flowyard.server import tables as t
from flowyard.server.api.deps import hash_key
from flowyard.server.db import Database
from flowyard.settings import Settings


def add_key(settings: Settings, role: str) -> str:
    """A new API key of ``role`` on the database of ``settings``."""
    key = f"fy_test_{role}_{os.urandom(8).hex()}"
    db = Database(settings.resolved_database_url())
    with db.write() as conn:
        conn.execute(
            t.api_key.insert().values(
                id=os.urandom(16).hex(),
                name=key,
                role=role,
                key_hash=hash_key(key),
                created=utcnow(),
            )
        )
    db.dispose()
    return key
