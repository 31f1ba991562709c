"""Shared set-up of the push-pool end-to-end tests: a `flowyard server start` subprocess that
can be SIGKILLed and restarted on the same database and port (same replica name), the tutorial
project, deploying to a push pool, and waiting for a run's state."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})

FLOWS = """
import os
import time
from flowyard import flow

@flow(log_prints=True)
def tutorial(name: str = "push") -> str:
    print(f"hello {name}, submitted by the server")
    return name

@flow(log_prints=True)
def long_one(seconds: float = 120) -> None:
    print("started", flush=True)
    time.sleep(seconds)

@flow(log_prints=True)
def environment() -> str:
    print("ENV " + repr(sorted(os.environ.items())))
    return "ok"
"""


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flowyard_image() -> str:
    """An image with this checkout's flowyard (scripts/build-flowyard-image, cached by hash).

    Skips the test when ``FLOWYARD_SKIP_DOCKER`` is set.
    """
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    subprocess.run(
        [str(ROOT / "scripts" / "build-python-base-image")], check=True, capture_output=True
    )
    built = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], check=True, capture_output=True, text=True
    )
    return built.stdout.strip().splitlines()[-1]


class PushServer:
    """A real server process serving push pools; ``kill()`` SIGKILLs it, ``start()`` restarts it
    on the same database, port and replica name."""

    def __init__(self, home: Path, database_url: str | None = None, **extra_env: str) -> None:
        self.home = home
        self.port = free_port()
        self.log = home / "server.log"
        self.database = home / "flowyard.db"
        self.secrets_key = Fernet.generate_key().decode()
        home.mkdir(parents=True, exist_ok=True)
        self.env: dict[str, str] = {
            **os.environ,
            "FLOWYARD_HOME": str(home / "home"),
            "FLOWYARD_DATABASE_URL": database_url or f"sqlite:///{self.database}",
            "FLOWYARD_API_URL": f"http://127.0.0.1:{self.port}/api",
            "FLOWYARD_SERVER_SECRETS_KEY": self.secrets_key,
            "FLOWYARD_SERVER_REPLICA_NAME": "replica-a",
            "FLOWYARD_SERVER_LOOP_SECONDS": "0.5",
            "FLOWYARD_SERVER_CLAIM_LEASE_SECONDS": "6",
            "FLOWYARD_SERVER_UI": "false",
            **extra_env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.env["FLOWYARD_API_URL"], timeout=30)

    @property
    def api_url(self) -> str:
        """The server's API URL."""
        return self.env["FLOWYARD_API_URL"]

    def start(self, timeout: float = 60) -> PushServer:
        """Start the server and wait until it is ready."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flowyard.cli", "server", "start", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.http.get("/ready").status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown of any kind)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM the server and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.http.close()

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``flowyard <args>`` against this server."""
        return subprocess.run(
            [sys.executable, "-m", "flowyard.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env,
        )

    def wait_for(
        self, run_id: str, states: frozenset[str] = FINAL, timeout: float = 120
    ) -> dict[str, Any]:
        """The run once it is in one of ``states`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                run: dict[str, Any] = self.http.get(f"/flow_runs/{run_id}").json()
                if run["state_type"] in states:
                    return run
            except httpx.TransportError:
                run = {}
            assert time.monotonic() < deadline, run
            time.sleep(0.2)

    def logs(self, run_id: str) -> str:
        """The run's log lines."""
        return "\n".join(m["message"] for m in self.http.get(f"/flow_runs/{run_id}/logs").json())

    def run(self, deployment_id: str, **parameters: Any) -> str:
        """Create a run of the deployment now; its id."""
        response = self.http.post(
            f"/deployments/{deployment_id}/runs", json={"parameters": parameters}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


def postgres_url() -> str:
    """``FLOWYARD_TEST_DATABASE_URL`` with every flowyard table dropped (skips when unset)."""
    from flowyard.testing.plugin import reset_postgres

    url = os.environ.get("FLOWYARD_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FLOWYARD_TEST_DATABASE_URL is not set")
    reset_postgres(url)
    return url


def pg_dump(url: str) -> str:
    """A plain-text ``pg_dump`` of the database at the SQLAlchemy ``url`` (every row in clear)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    done = subprocess.run(
        [
            "pg_dump",
            "--host",
            parsed.host or "127.0.0.1",
            "--port",
            str(parsed.port or 5432),
            "--username",
            parsed.username or "flowyard",
            "--no-password",
            "--data-only",
            str(parsed.database),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PGPASSWORD": parsed.password or ""},
    )
    assert done.returncode == 0, done.stderr
    assert "COPY public.flow_run " in done.stdout, done.stdout[:2000]
    return done.stdout


def secret_places(server: PushServer, pool: str, run_id: str, deployment_id: str) -> dict[str, str]:
    """Where a secret must never appear, for one finished run: the flow run's environment (the
    ``environment`` flow prints it into the run's logs), the API's answers about the pool, run,
    deployment, secrets and logs, the server's log, and the database in clear (the SQLite file
    with its WAL/journal, or a ``pg_dump``)."""
    logs = server.logs(run_id)
    assert "FLOWYARD_FLOW_RUN_ID" in logs, logs  # the flow printed its environment
    paths = (
        "/work_pools",
        f"/work_pools/{pool}",
        f"/flow_runs/{run_id}",
        f"/deployments/{deployment_id}",
        "/secrets",
        f"/flow_runs/{run_id}/logs",
    )
    answers = [server.http.get(path).text for path in paths]
    answers.append(server.http.post("/flow_runs/filter", json={}).text)
    places = {
        "the flow run's environment": logs,
        "API answers": "\n".join(answers),
        "the server's log": server.log.read_text(errors="replace"),
    }
    url = server.env["FLOWYARD_DATABASE_URL"]
    if url.startswith("sqlite"):
        for path in (
            server.database,
            Path(f"{server.database}-wal"),
            Path(f"{server.database}-journal"),
        ):
            if path.exists():
                places[path.name] = path.read_bytes().decode("latin-1")
        assert server.database.name in places
    else:
        places["pg_dump"] = pg_dump(url)
    return places


def deploy(
    server: PushServer,
    project: Path,
    base_image: str,
    pool: str,
    flow: str,
    image: str,
    variables: Mapping[str, Any],
    *,
    build: bool,
) -> str:
    """``flow.deploy`` from the project directory (building the image once); the deployment id."""
    code = (
        f"from flows import {flow}\n"
        f"d = {flow}.deploy('{flow}', work_pool_name={pool!r}, image={image!r}, "
        f"build={build!r}, job_variables={dict(variables)!r})\n"
        "print(d)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={**server.env, "FLOWYARD_DOCKER_BASE_IMAGE": base_image},
    )
    assert done.returncode == 0, done.stderr
    found = server.http.get(f"/deployments/name/{flow.replace('_', '-')}/{flow}")
    assert found.status_code == 200, found.text
    return str(found.json()["id"])


def write_project(root: Path) -> Path:
    """The tutorial project (``flows.py``)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "flows.py").write_text(FLOWS)
    return root
