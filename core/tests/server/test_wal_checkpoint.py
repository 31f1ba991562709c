"""SQLite: the server copies the WAL into the database file from a background thread, so no
request's commit pays for a checkpoint (its copy and the disk flush) while holding the write lock."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from conftest import Api
from flowyard.testing.plugin import RunningServer


def sqlite_path(server: RunningServer) -> Path:
    url = server.settings.resolved_database_url()
    if not url.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL has no WAL file to checkpoint")
    return Path(url.split("///", 1)[1])


def test_a_write_reaches_the_database_file_without_a_commit_time_checkpoint(
    api: Api, server: RunningServer
) -> None:
    path = sqlite_path(server)
    api.pool("checkpointed-pool-name")
    # one small write is far below the commit-time threshold (10,000 pages): only the
    # background checkpointer copies it from the WAL into the main file
    deadline = time.monotonic() + 5
    while b"checkpointed-pool-name" not in path.read_bytes():
        assert time.monotonic() < deadline, "the write never left the WAL"
        time.sleep(0.05)


def test_request_connections_leave_checkpoints_to_the_background_thread(
    server: RunningServer,
) -> None:
    sqlite_path(server)
    ctx = server.handle[0].config.app.state.ctx
    with ctx.db.read() as conn:
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert pages == 10_000


def test_the_database_outside_a_server_keeps_sqlites_own_checkpoints(tmp_path: Path) -> None:
    from flowyard.server.db import Database

    db = Database(f"sqlite:///{tmp_path / 'plain.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    db.dispose()
    assert sqlite3.connect(tmp_path / "plain.db").execute("PRAGMA journal_mode").fetchone() == (
        "wal",
    )
