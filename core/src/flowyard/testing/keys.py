"""API keys for tests against a server started with ``server_auth`` on (``RunningServer``'s
settings name its database)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from flowyard.settings import Settings


def create_api_key(settings: Settings, name: str, role: str, pools: Sequence[str] = ()) -> str:
    """``flowyard server api-key create --name <name> --role <role> [--pool <pool>...]`` against
    the database of ``settings``, as an operator makes one; returns the key."""
    env = {
        "FLOWYARD_HOME": str(settings.home),
        "FLOWYARD_DATABASE_URL": settings.resolved_database_url(),
        "PATH": "",
    }
    args = ["server", "api-key", "create", "--name", name, "--role", role]
    for pool in pools:
        args += ["--pool", pool]
    done = subprocess.run(
        [sys.executable, "-m", "flowyard.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def insert_api_key(settings: Settings, role: str, prefix: str = "fy_test") -> str:
    """A new API key of ``role`` written straight into the database of ``settings`` (faster than
    :func:`create_api_key`: no subprocess); returns the key, ``<prefix>_<role>_<random>``."""
    from flowyard.schemas.common import utcnow
    from flowyard.server import tables as t
    from flowyard.server.api.deps import hash_key
    from flowyard.server.db import Database

    key = f"{prefix}_{role}_{os.urandom(8).hex()}"
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
