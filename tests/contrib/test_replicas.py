"""Two servers on one PostgreSQL behind a round-robin balancer; one is SIGKILLed under load.

Real parts only: two `flowyard server start` processes (migrations run once by `flowyard server
migrate`, migrate-on-start off), two `flowyard worker start` process workers, flow runs executed in
their own processes, all talking through the loopback balancer in round_robin.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from flowyard.testing.plugin import reset_postgres
from round_robin import RoundRobin

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FLOWS = """
import time

from flowyard import flow


@flow
def mark(tag: str, out: str, seconds: float = 0.5) -> str:
    time.sleep(seconds)
    with open(out, "a") as f:
        f.write(tag + "\\n")
    return tag


@flow
def tick() -> None:
    pass
"""
LOAD_RUNS = 24
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowyard.cli", *args]


@dataclass
class Cluster:
    """The running parts and where they write."""

    env: dict[str, str]
    servers: dict[int, subprocess.Popen[bytes]]
    balancer: RoundRobin
    api: httpx.Client
    project: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    start_seconds: list[float] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request through the balancer, retried on transport errors (a client's retry)."""
        for attempt in range(20):
            try:
                response = self.api.request(method, path, **kwargs)
                if response.status_code < 500:
                    return response
            except httpx.TransportError:
                pass
            time.sleep(0.05 * (attempt + 1))
        raise AssertionError(f"{method} {path} kept failing")


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"server on {port} exited with {process.returncode}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"server on {port} never became ready"
        time.sleep(0.1)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Migrate once, then two servers, the balancer, a pool, a deployment and two workers."""
    url = os.environ.get("FLOWYARD_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FLOWYARD_TEST_DATABASE_URL is not set (scripts/test starts PostgreSQL)")
    reset_postgres(url)
    env = {
        **os.environ,
        "FLOWYARD_HOME": str(tmp_path / "home"),
        "FLOWYARD_DATABASE_URL": url,
        "FLOWYARD_SERVER_MIGRATE_ON_START": "false",
        "FLOWYARD_SERVER_LOOP_SECONDS": "0.5",
        "FLOWYARD_SERVER_CLAIM_LEASE_SECONDS": "10",
        "FLOWYARD_WORKER_HEARTBEAT_SECONDS": "2",
        "FLOWYARD_WORKER_QUERY_SECONDS": "2",
    }
    migrated = subprocess.run(_cli("server", "migrate"), env=env, capture_output=True, timeout=60)
    assert migrated.returncode == 0, migrated.stderr
    ports = [_free_port(), _free_port()]
    servers: dict[int, subprocess.Popen[bytes]] = {}
    starts = []
    logs = tmp_path / "logs"
    logs.mkdir()
    for port in ports:
        started = time.monotonic()
        with (logs / f"server-{port}.log").open("wb") as out:  # the child keeps its own copy
            servers[port] = subprocess.Popen(
                _cli("server", "start", "--port", str(port)),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(port, servers[port])
        starts.append(time.monotonic() - started)
    balancer = RoundRobin(ports)
    api_url = f"http://127.0.0.1:{balancer.port}/api"
    env["FLOWYARD_API_URL"] = api_url
    project = tmp_path / "project"
    project.mkdir()
    (project / "flows.py").write_text(FLOWS)
    c = Cluster(env, servers, balancer, httpx.Client(base_url=api_url, timeout=30), project)
    c.start_seconds = starts
    try:
        assert (
            c.request("POST", "/work_pools", json={"name": "ha", "type": "process"}).status_code
            == 201
        )
        for i in range(2):
            with (logs / f"worker-{i}.log").open("wb") as out:
                c.workers.append(
                    subprocess.Popen(
                        _cli("worker", "start", "--pool", "ha", "--name", f"w{i}", "--limit", "4"),
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield c
    finally:
        for process in [*c.workers, *servers.values()]:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(10)
        c.api.close()
        balancer.close()


def _deploy(c: Cluster, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=c.project,
        env=c.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # deploy() prints a hint first


def _runs(c: Cluster, deployment_id: str) -> list[dict[str, Any]]:
    body = {"deployment_id": deployment_id, "limit": 1000}
    return list(c.request("POST", "/flow_runs/filter", json=body).json())


def test_killing_one_of_two_servers_under_load_loses_nothing_and_runs_each_flow_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    c = cluster
    out = tmp_path / "executed.txt"
    load_id = _deploy(c, "from flows import mark; print(mark.deploy('load', work_pool_name='ha'))")
    victim, survivor = list(c.servers)

    killed_at = 0.0
    for i in range(LOAD_RUNS):
        if i == LOAD_RUNS // 2:  # half the runs are claimed or running: kill one server
            c.servers[victim].send_signal(signal.SIGKILL)
            c.servers[victim].wait(10)
            killed_at = time.monotonic()
        body = {"parameters": {"tag": f"t{i}", "out": str(out)}, "idempotency_key": f"t{i}"}
        created = c.request("POST", f"/deployments/{load_id}/runs", json=body)
        assert created.status_code in (200, 201), created.text
        time.sleep(0.1)

    # Services keep running on the survivor: its scheduler creates the runs of a new schedule.
    tick_id = _deploy(
        c, "from flows import tick; print(tick.deploy('tick', work_pool_name='ha', interval=1))"
    )

    deadline = time.monotonic() + 150
    while True:
        runs = _runs(c, load_id)
        if len(runs) == LOAD_RUNS and all(r["state_type"] in FINAL for r in runs):
            break
        assert time.monotonic() < deadline, Counter(r["state_name"] for r in runs)
        time.sleep(0.5)
    recovered = time.monotonic() - killed_at

    broken = [
        (
            r["state_name"],
            r["state_message"],
            c.request("GET", f"/flow_runs/{r['id']}/history").json(),
        )
        for r in runs
        if r["state_type"] != "COMPLETED"
    ]
    assert not broken, broken  # none stuck, failed or lost
    executed = Counter(out.read_text().split())
    assert executed == {f"t{i}": 1 for i in range(LOAD_RUNS)}  # none claimed (run) twice
    reclaimed = sum(
        1
        for r in runs
        if [h["type"] for h in c.request("GET", f"/flow_runs/{r['id']}/history").json()].count(
            "PENDING"
        )
        > 1
    )

    deadline = time.monotonic() + 30
    while len([r for r in _runs(c, tick_id) if r["state_type"] == "COMPLETED"]) < 2:
        assert time.monotonic() < deadline, "the survivor's scheduler created no runs"
        time.sleep(0.5)
    workers = c.request("GET", "/work_pools/ha/workers").json()
    assert sorted(w["status"] for w in workers) == ["ONLINE", "ONLINE"]
    assert c.servers[survivor].poll() is None
    survivor_log = (tmp_path / "logs" / f"server-{survivor}.log").read_text()
    assert "Traceback" not in survivor_log, survivor_log  # no service tick failed

    print(
        f"\nreplicas: {LOAD_RUNS} runs, server start {max(c.start_seconds):.1f} s, "
        f"all COMPLETED {recovered:.1f} s after the kill, {reclaimed} re-claimed after a lost "
        f"claim, connections per server {dict(c.balancer.connections)}"
    )


def test_sqlite_refuses_a_second_server_replica(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FLOWYARD_HOME": str(tmp_path),
        "FLOWYARD_DATABASE_URL": f"sqlite:///{tmp_path / 'flowyard.db'}",
    }
    env.pop("FLOWYARD_API_URL", None)
    port = _free_port()
    first = subprocess.Popen(
        _cli("server", "start", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(port, first)
        second = subprocess.run(
            _cli("server", "start", "--port", str(_free_port())),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "SQLite supports exactly one server replica" in second.stderr
        assert f"pid {first.pid}" in second.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    restarted = subprocess.Popen(  # SIGKILL released the lock: a restart is not blocked
        _cli("server", "start", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(port, restarted)
    finally:
        restarted.send_signal(signal.SIGKILL)
        restarted.wait(10)
