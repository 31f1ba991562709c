"""The worker as an operator meets it: start-up errors, crashes, restarts, signals, limits.

Real server on loopback (SQLite), real `flowyard worker start` subprocesses, real flow processes.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest
from flowyard.settings import LeaseExpiryPolicy, Settings
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer, free_port, start_server, stop_server
from flowyard.testing.worker import start_worker
from helpers import deploy, pid_alive, project, wait_for_state

pytestmark = SQLITE_ONLY


def make_pool(server: RunningServer, name: str = "local") -> None:
    result = run_cli("work-pool", "create", name, "--type", "process", env=server.env())
    assert result.returncode == 0, result.stderr


def test_startup_errors_are_clear(server: RunningServer, tmp_path: Path) -> None:
    env = server.env()
    missing = run_cli("worker", "start", "--pool", "nope", env=env)
    assert missing.returncode == 1
    assert "Work pool 'nope' does not exist" in missing.stderr and "--type" in missing.stderr
    make_pool(server)
    unknown_queue = run_cli(
        "worker", "start", "--pool", "local", "-q", "default", "-q", "gpu", env=env
    )
    assert unknown_queue.returncode == 1
    assert "'gpu' not found" in unknown_queue.stderr and "default" in unknown_queue.stderr
    wrong_type = run_cli("worker", "start", "--pool", "local", "--type", "docker", env=env)
    assert wrong_type.returncode == 1
    assert "of type 'process', not 'docker'" in wrong_type.stderr
    # a type the registry knows whose package is not installed (every bundled type's package is
    # installed in the development environment, so the test maps its own)
    registry = tmp_path / "registry.json"
    registry.write_text(
        '{"nebula": {"distribution": "flowyard-nebula", "index_url": "https://pypi.example.org/simple/"}}'
    )
    not_installed = run_cli(
        "worker",
        "start",
        "--pool",
        "neb",
        "--type",
        "nebula",
        "--install-policy",
        "never",
        env=server.env(FLOWYARD_WORKER_REGISTRY=str(registry)),
    )
    assert not_installed.returncode == 1
    assert "-m pip install --index-url" in not_installed.stderr  # from a known index only
    assert "flowyard-nebula" in not_installed.stderr
    unreachable = run_cli(
        "worker",
        "start",
        "--pool",
        "local",
        env=server.env(FLOWYARD_API_URL=f"http://127.0.0.1:{free_port()}/api"),
    )
    assert unreachable.returncode == 3 and "Cannot reach" in unreachable.stderr


def test_type_creates_a_missing_pool(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    worker = start_worker(
        server, "--pool", "fresh", "--type", "process", "--name", "w1", log=tmp_path / "w.log"
    )
    try:
        pool = http.get("/work_pools/fresh").json()
        assert pool["type"] == "process" and pool["status"] == "READY"
        assert pool["base_job_template"]["job_configuration"]["command"] == "{{ command }}"
        workers = http.get("/work_pools/fresh/workers").json()
        assert [(w["name"], w["status"]) for w in workers] == [("w1", "ONLINE")]
    finally:
        assert worker.stop() == 0


@pytest.mark.parametrize("policy", ["reschedule", "crash"])
def test_runs_held_by_a_killed_worker_are_recovered(
    server_settings: Settings, tmp_path: Path, policy: str
) -> None:
    """SIGKILL a worker that holds claimed (PENDING) runs: their leases expire and they recover."""
    server_settings.server_claim_lease_seconds = 2
    server_settings.server_lease_expiry_policy = LeaseExpiryPolicy(policy)
    server = start_server(server_settings)
    try:
        http = httpx.Client(base_url=server.api_url, timeout=30)
        make_pool(server)
        deploy(server, project(tmp_path), "hello", "dev", "local")
        dep = http.get("/deployments/name/hello/dev").json()
        soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)).isoformat()
        ids = [
            http.post(f"/deployments/{dep['id']}/runs", json={"scheduled_time": soon}).json()["id"]
            for _ in range(3)
        ]
        worker = start_worker(
            server, "--pool", "local", "--prefetch-seconds", "60", log=tmp_path / "w.log"
        )
        for run_id in ids:
            wait_for_state(http, run_id, {"PENDING"}, timeout=15)
        worker.stop(signal.SIGKILL)
        expected = "SCHEDULED" if policy == "reschedule" else "CRASHED"
        for run_id in ids:
            run = wait_for_state(http, run_id, {expected}, timeout=15)
            assert "Claim lease expired" in (run["state_message"] or "")
        pending = http.post(
            "/flow_runs/filter", json={"state_types": ["PENDING", "RUNNING"]}
        ).json()
        assert pending == []
        if (
            policy == "reschedule"
        ):  # a new worker picks them up; the orphaned engines do not run them
            replacement = start_worker(server, "--pool", "local", log=tmp_path / "w2.log")
            try:
                for run_id in ids:
                    done = wait_for_state(http, run_id, timeout=30)
                    assert done["state_type"] == "COMPLETED"
                    assert done["start_time"] >= done["scheduled_time"]  # prefetched, not early
                    workers = {
                        h["message"]
                        for h in http.get(f"/flow_runs/{run_id}/history").json()
                        if h["type"] == "PENDING"
                    }
                    assert len(workers) == 2
            finally:
                replacement.stop(signal.SIGKILL)
        http.close()
    finally:
        stop_server(server)


def test_worker_survives_a_server_outage_and_reports_health(
    server_settings: Settings, tmp_path: Path
) -> None:
    server = start_server(server_settings)
    port = free_port()
    make_pool(server)
    worker = start_worker(
        server,
        "--pool",
        "local",
        "--with-healthcheck",
        log=tmp_path / "w.log",
        FLOWYARD_WORKER_HEALTHCHECK_PORT=str(port),
        FLOWYARD_WORKER_QUERY_SECONDS="1",
    )

    def health() -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    try:
        deadline = time.monotonic() + 10
        while health() != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        stop_server(server)
        deadline = time.monotonic() + 20
        while health() != 503:
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
        assert worker.process.poll() is None  # connection refused did not kill it
        server = start_server(server_settings)
        deploy(server, project(tmp_path), "hello", "dev", "local")
        run = cli_json("deployment", "run", "hello/dev", env=server.env())
        with httpx.Client(base_url=server.api_url) as http:
            assert wait_for_state(http, run["id"], timeout=30)["state_type"] == "COMPLETED"
        assert health() == 200
        assert "Polling pool 'local' failed" in worker.output()
    finally:
        worker.stop(signal.SIGKILL)
        stop_server(server)


def test_sigterm_lets_running_runs_finish(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    make_pool(server)
    deploy(server, project(tmp_path), "sleepy", "dev", "local", parameters={"seconds": 2})
    worker = start_worker(server, "--pool", "local", log=tmp_path / "w.log")
    run = cli_json("deployment", "run", "sleepy/dev", env=server.env())
    wait_for_state(http, run["id"], {"RUNNING"})
    assert worker.stop(signal.SIGTERM, timeout=30) == 0
    assert http.get(f"/flow_runs/{run['id']}").json()["state_type"] == "COMPLETED"
    assert "no new runs will be claimed" in worker.output()
    later = cli_json("deployment", "run", "sleepy/dev", env=server.env())
    time.sleep(1)
    assert http.get(f"/flow_runs/{later['id']}").json()["state_type"] == "SCHEDULED"


def test_limit_runs_one_at_a_time_and_run_once_exits(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    make_pool(server)
    deploy(server, project(tmp_path), "sleepy", "dev", "local", parameters={"seconds": 1})
    ids = [cli_json("deployment", "run", "sleepy/dev", env=server.env())["id"] for _ in range(2)]
    worker = start_worker(
        server, "--pool", "local", "--limit", "1", "--run-once", log=tmp_path / "w.log", wait=False
    )
    assert worker.process.wait(timeout=60) == 0, worker.output()
    states = [http.get(f"/flow_runs/{i}").json()["state_type"] for i in ids]
    assert sorted(states) == ["COMPLETED", "SCHEDULED"]  # one run claimed, run, and the worker left
    worker = start_worker(server, "--pool", "local", "--limit", "1", log=tmp_path / "w2.log")
    try:
        done = wait_for_state(
            http, next(i for i, s in zip(ids, states, strict=True) if s == "SCHEDULED")
        )
        assert done["state_type"] == "COMPLETED"
    finally:
        worker.stop(signal.SIGKILL)
    spans = []
    for run_id in ids:
        run = http.get(f"/flow_runs/{run_id}").json()
        spans.append((run["start_time"], run["end_time"]))
    spans.sort()
    assert spans[0][1] <= spans[1][0]  # never two at once


def test_interval_schedule_runs_without_anyone_asking(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    make_pool(server)
    deploy(server, project(tmp_path), "hello", "every-2s", "local", interval=2)
    worker = start_worker(server, "--pool", "local", log=tmp_path / "w.log")
    try:
        deadline = time.monotonic() + 30
        while True:
            done = http.post("/flow_runs/filter", json={"state_types": ["COMPLETED"]}).json()
            if len(done) >= 2:
                break
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
        assert all("auto-scheduled" in r["tags"] for r in done)
        paused = run_cli("deployment", "pause", "hello/every-2s", env=server.env())
        assert paused.returncode == 0
        time.sleep(1)
        assert http.post("/flow_runs/filter", json={"state_types": ["SCHEDULED"]}).json() == []
    finally:
        worker.stop(signal.SIGKILL)
    assert json.loads(json.dumps(done))
    assert not pid_alive(worker.process.pid)
