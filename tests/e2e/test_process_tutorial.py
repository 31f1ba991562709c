"""The seed tutorial with a process pool, end to end, as a user runs it.

Everything is real: a flowyard server on loopback (SQLite), `flowyard` CLI subprocesses, a
`flowyard worker start` subprocess, flows deployed with `flow.deploy` from a fresh interpreter
and executed by the engine in their own processes.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import WorkerProcess, start_worker
from helpers import deploy, logs, pid_alive, project, wait_for_state

pytestmark = SQLITE_ONLY


@pytest.fixture
def pool_and_worker(server: RunningServer, tmp_path: Path) -> Iterator[WorkerProcess]:
    """Pool `local` (process) and one worker with default settings."""
    assert (
        run_cli("work-pool", "create", "local", "--type", "process", env=server.env()).returncode
        == 0
    )
    worker = start_worker(server, "--pool", "local", log=tmp_path / "worker.log")
    yield worker
    worker.stop(signal.SIGKILL)


def test_deployed_flow_runs_to_completed_with_its_prints_in_the_logs(
    server: RunningServer, http: httpx.Client, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    root = project(tmp_path)
    deploy(
        server,
        root,
        "hello",
        "dev",
        "local",
        parameters={"name": "ann"},
        job_variables={"env": {"X": "from-deployment"}},
    )
    created = run_cli(
        "deployment", "run", "hello/dev", "--param", "times=2", "--output", "json", env=server.env()
    )
    assert created.returncode == 0, created.stderr
    run_id = __import__("json").loads(created.stdout)["id"]
    run = wait_for_state(http, run_id)
    assert run["state_type"] == "COMPLETED", run
    text = logs(http, run_id)
    assert "hello ann #0" in text and "hello ann #1" in text
    assert "env X=from-deployment" in text
    assert run["infrastructure_id"] and run["worker_name"]
    history = [h["type"] for h in http.get(f"/flow_runs/{run_id}/history").json()]
    assert history == ["SCHEDULED", "PENDING", "RUNNING", "COMPLETED"]
    shown = run_cli("flow-run", "logs", run_id, env=server.env())
    assert "hello ann #1" in shown.stdout
    inspected = cli_json("flow-run", "inspect", run_id, env=server.env())
    assert inspected["state_type"] == "COMPLETED" and len(inspected["history"]) == 4


def test_watch_and_job_variable_override(
    server: RunningServer, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    deploy(
        server,
        project(tmp_path),
        "hello",
        "dev",
        "local",
        job_variables={"env": {"X": "deployment"}},
    )
    watched = run_cli(
        "deployment", "run", "hello/dev", "--job-variable", "env.X=run", "--watch", env=server.env()
    )
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "env X=run" in watched.stdout and "Completed" in watched.stdout


def test_failing_flow_ends_failed_with_the_error(
    server: RunningServer, http: httpx.Client, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    deploy(server, project(tmp_path), "broken", "dev", "local")
    run = cli_json("deployment", "run", "broken/dev", env=server.env())
    final = wait_for_state(http, run["id"])
    assert final["state_type"] == "FAILED"
    assert final["state_message"] == "ValueError: limit 3 is too small"
    assert "Traceback" in logs(http, run["id"])
    watched = run_cli("deployment", "run", "broken/dev", "--watch", env=server.env())
    assert watched.returncode == 1


def test_bad_parameters_are_refused_when_the_run_is_created(
    server: RunningServer, http: httpx.Client, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    deploy(server, project(tmp_path), "hello", "dev", "local")
    refused = run_cli("deployment", "run", "hello/dev", "--param", "times=many", env=server.env())
    assert refused.returncode == 1
    assert "parameters.times" in refused.stderr and "integer" in refused.stderr
    assert http.post("/flow_runs/filter", json={}).json() == []


def test_a_run_of_a_deployment_without_a_parameter_schema_fails_naming_the_parameter(
    server: RunningServer, http: httpx.Client, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    """Deployments registered without a schema (older clients) are still checked when they run."""
    deploy(server, project(tmp_path), "hello", "dev", "local")
    deployment = cli_json("deployment", "inspect", "hello/dev", env=server.env())
    body = {
        key: deployment[key]
        for key in ("flow_name", "name", "work_pool_name", "entrypoint", "path", "parameters")
    }
    assert http.post("/deployments", json=body).status_code in (200, 201)
    run = cli_json("deployment", "run", "hello/dev", "--param", "times=many", env=server.env())
    final = wait_for_state(http, run["id"])
    assert final["state_type"] == "FAILED"
    assert "times" in final["state_message"]


def test_flow_killed_with_sigkill_ends_crashed(
    server: RunningServer, http: httpx.Client, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    deploy(server, project(tmp_path), "self_destruct", "dev", "local")
    run = cli_json("deployment", "run", "self-destruct/dev", env=server.env())
    final = wait_for_state(http, run["id"])
    assert final["state_type"] == "CRASHED"
    assert "SIGKILL" in final["state_message"], final["state_message"]


def test_cancelled_long_flow_has_its_process_killed(
    server: RunningServer, http: httpx.Client, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    pid_file = tmp_path / "sleepy.pid"
    deploy(
        server, project(tmp_path), "sleepy", "dev", "local", parameters={"pid_file": str(pid_file)}
    )
    run = cli_json("deployment", "run", "sleepy/dev", env=server.env())
    wait_for_state(http, run["id"], {"RUNNING"})
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    assert pid_alive(pid)
    started = time.monotonic()
    cancelled = run_cli("flow-run", "cancel", run["id"], env=server.env())
    assert cancelled.returncode == 0, cancelled.stderr
    final = wait_for_state(http, run["id"])
    assert final["state_type"] == "CANCELLED"
    assert time.monotonic() - started < 5  # the long-poll returns at once for a cancellation
    deadline = time.monotonic() + 5
    while pid_alive(pid):
        assert time.monotonic() < deadline, "the flow's process survived its cancellation"
        time.sleep(0.05)
    assert "sleeping" in logs(http, run["id"])


def test_cancelling_a_scheduled_run_needs_no_worker(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    assert run_cli("work-pool", "create", "idle", "-t", "process", env=server.env()).returncode == 0
    deploy(server, project(tmp_path), "hello", "dev", "idle")
    run = cli_json("deployment", "run", "hello/dev", env=server.env())
    assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0
    assert http.get(f"/flow_runs/{run['id']}").json()["state_type"] == "CANCELLED"
    again = run_cli("flow-run", "cancel", run["id"], env=server.env())
    assert again.returncode == 1 and "already CANCELLED" in again.stderr


def test_flow_runs_listing(
    server: RunningServer, http: httpx.Client, tmp_path: Path, pool_and_worker: WorkerProcess
) -> None:
    deploy(server, project(tmp_path), "hello", "dev", "local")
    ids = [cli_json("deployment", "run", "hello/dev", env=server.env())["id"] for _ in range(3)]
    for run_id in ids:
        wait_for_state(http, run_id)
    listed = cli_json(
        "flow-run", "ls", "--deployment", "hello/dev", "--state", "completed", env=server.env()
    )
    assert {r["id"] for r in listed} == set(ids)
    assert "hello/dev" in run_cli("deployment", "ls", env=server.env()).stdout
    assert (
        cli_json("deployment", "inspect", "hello/dev", env=server.env())["work_pool_name"]
        == "local"
    )
    missing = run_cli("deployment", "run", "hello/nope", env=server.env())
    assert missing.returncode == 1 and "not found" in missing.stderr
    malformed = run_cli("deployment", "run", "just-a-name", env=server.env())
    assert malformed.returncode == 1 and "flow-name/deployment-name" in malformed.stderr


def test_local_call_is_recorded(server: RunningServer, http: httpx.Client, tmp_path: Path) -> None:
    import subprocess
    import sys

    root = project(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "from flows import hello; print('result', hello('bob', times='1'))"],
        cwd=root,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "result bob" in result.stdout
    [run] = http.post("/flow_runs/filter", json={}).json()
    assert run["flow_name"] == "hello" and run["state_type"] == "COMPLETED"
    assert "hello bob #0" in logs(http, run["id"])
    failing = subprocess.run(
        [sys.executable, "-c", "from flows import broken; broken()"],
        cwd=root,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failing.returncode == 1 and "ValueError: limit 3 is too small" in failing.stderr
    states = {
        r["flow_name"]: r["state_type"] for r in http.post("/flow_runs/filter", json={}).json()
    }
    assert states == {"hello": "COMPLETED", "broken": "FAILED"}
    assert os.environ.get("FLOWYARD_FLOW_RUN_ID") is None
