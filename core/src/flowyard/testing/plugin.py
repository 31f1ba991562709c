"""pytest plugin: real servers for tests. Opt in from a rootdir conftest.py with
``pytest_plugins = ["flowyard.testing.plugin"]`` (nothing is loaded into other projects' sessions).

Fixtures:
- ``database_url``: a fresh SQLite file, or (parametrised as ``postgres``) the PostgreSQL server
  named by ``FLOWYARD_TEST_DATABASE_URL`` with every table dropped first.
- ``server``: a real uvicorn server on a free loopback port, running the flowyard app on that
  database; ``FLOWYARD_API_URL`` points at it for the test's duration.
- ``http``: an httpx client bound to that server's API.

``SQLITE_ONLY`` (``pytestmark = SQLITE_ONLY``) runs a module on SQLite alone: for end-to-end
tests of clients, workers and flows, whose server logic the API tests cover on both databases.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flowyard.settings import Settings, get_settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reset_postgres(url: str) -> None:
    """Drop every flowyard table (and Alembic's) so a test starts from an empty database."""
    import sqlalchemy as sa

    from flowyard.server.tables import metadata

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: SQLite in tmp_path, or the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flowyard.db'}"
    url = os.environ.get("FLOWYARD_TEST_DATABASE_URL")
    if not url:
        pytest.skip(
            "FLOWYARD_TEST_DATABASE_URL is not set (scripts/test starts PostgreSQL and sets it)"
        )
    reset_postgres(url)
    return url


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``postgres`` marker the ``database_url`` parameter carries (for ``--strict-markers``)."""
    config.addinivalue_line(
        "markers", "postgres: needs a PostgreSQL server (FLOWYARD_TEST_DATABASE_URL)"
    )


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class RunningServer:
    """A live server: its API URL, settings and the uvicorn handle."""

    url: str
    settings: Settings
    handle: Any

    @property
    def api_url(self) -> str:
        """Base URL of the REST API."""
        return self.url + "/api"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a subprocess (CLI, worker) that should talk to this server."""
        env = {
            **os.environ,
            "FLOWYARD_API_URL": self.api_url,
            "FLOWYARD_HOME": str(self.settings.home),
        }
        env.update(extra)
        return env


def start_server(settings: Settings, *, configure_logging: bool = True) -> RunningServer:
    """Start uvicorn in a thread and wait until ``/api/health`` answers.

    :param configure_logging: let uvicorn apply its logging configuration, which closes every
        handler in the process; a test restarting a server under live handlers passes ``False``.
    """
    import httpx
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from flowyard.server.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=settings.server_port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=1,
        log_config=LOGGING_CONFIG if configure_logging else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{settings.server_port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                return RunningServer(url=url, settings=settings, handle=(server, thread))
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the test server did not start")


def stop_server(running: RunningServer) -> None:
    """Ask uvicorn to exit and wait for its thread."""
    server, thread = running.handle
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def server_settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test server; tests may tweak them before using ``server``."""
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        server_port=free_port(),
        server_loop_seconds=0.5,
    )


@pytest.fixture
def server(server_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    """A real flowyard server on loopback; the default client points at it."""
    running = start_server(server_settings)
    monkeypatch.setenv("FLOWYARD_API_URL", running.api_url)
    monkeypatch.setenv("FLOWYARD_HOME", str(server_settings.home))
    get_settings.cache_clear()
    yield running
    stop_server(running)
    get_settings.cache_clear()


@pytest.fixture
def http(server: RunningServer) -> Iterator[Any]:
    """An ``httpx.Client`` for the test server's API (``http.get("/work_pools")``)."""
    import httpx

    with httpx.Client(base_url=server.api_url, timeout=30) as client:
        yield client
