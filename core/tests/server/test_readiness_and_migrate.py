"""Readiness (`/api/ready`), the separate `flowyard server migrate`, migrate-on-start off, and the
SQLite single-replica lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from flowyard.server.app import create_app
from flowyard.server.replica_guard import SQLiteReplicaError, hold_sqlite_server_lock
from flowyard.settings import Settings


def _app(database_url: str, tmp_path: Path, **settings: object) -> TestClient:
    """The app without its lifespan (no service loops), as a probe sees it."""
    return TestClient(
        create_app(
            Settings(home=tmp_path, database_url=database_url, server_services=False, **settings)
        )
    )


def _migrate_cli(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLOWYARD_DATABASE_URL": database_url, "FLOWYARD_HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "flowyard.cli", "server", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ready_after_migrating_on_start(database_url: str, tmp_path: Path) -> None:
    response = _app(database_url, tmp_path).get("/api/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_not_ready_until_migrated_when_migrate_on_start_is_off(
    database_url: str, tmp_path: Path
) -> None:
    client = _app(database_url, tmp_path, server_migrate_on_start=False)
    response = client.get("/api/ready")
    assert response.status_code == 503
    assert "migrations pending: database at no schema" in response.json()["reason"]
    assert "flowyard server migrate" in response.json()["reason"]
    assert client.get("/api/health").status_code == 200  # alive, just not ready

    migrated = _migrate_cli(database_url, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "database migrated to revision" in migrated.stdout
    assert client.get("/api/ready").status_code == 200


def test_migrate_twice_is_harmless(database_url: str, tmp_path: Path) -> None:
    assert _migrate_cli(database_url, tmp_path).returncode == 0
    assert _migrate_cli(database_url, tmp_path).returncode == 0


def test_not_ready_when_the_database_is_unreachable_without_leaking_the_url(tmp_path: Path) -> None:
    url = "postgresql+psycopg://flowyard:s3cret-pw@127.0.0.1:1/flowyard"
    response = _app(url, tmp_path, server_migrate_on_start=False).get("/api/ready")
    assert response.status_code == 503
    assert response.json()["reason"] == "database unreachable (OperationalError)"
    assert "s3cret" not in response.text


def test_second_holder_of_a_sqlite_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flowyard.db'}"
    first = hold_sqlite_server_lock(url)
    assert first is not None
    try:
        with pytest.raises(SQLiteReplicaError, match="SQLite supports exactly one server replica"):
            hold_sqlite_server_lock(url)
    finally:
        os.close(first)
    second = hold_sqlite_server_lock(url)  # released with its holder
    assert second is not None
    os.close(second)


def test_postgres_and_memory_databases_need_no_lock() -> None:
    assert hold_sqlite_server_lock("postgresql+psycopg://u:p@h/db") is None
    assert hold_sqlite_server_lock("sqlite://") is None
