"""What a new user sees in the first hour: queue and worker status, parameter checks, crash logs.

Real parts: a server on loopback, the CLI and the worker as subprocesses, a deploy script run
with ``python -c`` in a project directory.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.e2e import deploy, flow_project
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import start_worker

pytestmark = SQLITE_ONLY

FLOWS = """
from flowyard import flow

@flow(log_prints=True)
def add(x: int, y: int = 1) -> int:
    print(x + y)
    return x + y
"""


def deploy_add(server: RunningServer, tmp_path: Path, **job_variables: object) -> None:
    project = flow_project(tmp_path, FLOWS)
    done = deploy(server, project, "add", work_pool="pool", job_variables=job_variables, timeout=60)
    assert done.returncode == 0, done.stderr


def test_an_idle_worker_makes_its_queues_ready(server: RunningServer, tmp_path: Path) -> None:
    assert (
        run_cli("work-pool", "create", "pool", "--type", "process", env=server.env()).returncode
        == 0
    )
    worker = start_worker(
        server, "--pool", "pool", log=tmp_path / "worker.log", FLOWYARD_WORKER_QUERY_SECONDS="1"
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            [queue] = cli_json("work-queue", "ls", "--pool", "pool", env=server.env())
            if queue["last_polled"] is not None and queue["status"] == "READY":
                break
            assert time.monotonic() < deadline, queue
            time.sleep(0.2)
    finally:
        worker.stop()


def test_a_worker_stopped_with_sigterm_is_offline_at_once(
    server: RunningServer, tmp_path: Path, http: httpx.Client
) -> None:
    assert (
        run_cli("work-pool", "create", "pool", "--type", "process", env=server.env()).returncode
        == 0
    )
    worker = start_worker(server, "--pool", "pool", "--name", "w1", log=tmp_path / "worker.log")
    [online] = http.get("/work_pools/pool/workers").json()
    assert online["status"] == "ONLINE"
    assert worker.stop() == 0
    [offline] = http.get("/work_pools/pool/workers").json()
    assert offline["name"] == "w1" and offline["status"] == "OFFLINE"
    assert cli_json("work-pool", "inspect", "pool", env=server.env())["status"] == "NOT_READY"


def test_a_wrong_parameter_is_refused_when_the_run_is_created(
    server: RunningServer, tmp_path: Path, http: httpx.Client
) -> None:
    assert (
        run_cli("work-pool", "create", "pool", "--type", "process", env=server.env()).returncode
        == 0
    )
    deploy_add(server, tmp_path)
    wrong = run_cli("deployment", "run", "add/dev", "--param", "x=abc", env=server.env())
    assert wrong.returncode == 1
    assert "x" in wrong.stderr and "integer" in wrong.stderr
    unknown = run_cli("deployment", "run", "add/dev", "-p", "x=1", "-p", "z=2", env=server.env())
    assert unknown.returncode == 1
    assert "z: unknown parameter; the flow takes: x, y" in unknown.stderr
    missing = run_cli("deployment", "run", "add/dev", env=server.env())
    assert missing.returncode == 1 and "x: missing" in missing.stderr
    assert http.post("/flow_runs/filter", json={}).json() == []  # no run was created
    good = cli_json("deployment", "run", "add/dev", "--param", "x=2", env=server.env())
    assert good["parameters"] == {"x": 2}


def test_flow_run_logs_show_why_the_worker_could_not_run_it(
    server: RunningServer, tmp_path: Path
) -> None:
    assert (
        run_cli("work-pool", "create", "pool", "--type", "process", env=server.env()).returncode
        == 0
    )
    deploy_add(server, tmp_path, command="sh -c 'exit 7'")
    worker = start_worker(server, "--pool", "pool", log=tmp_path / "worker.log")
    try:
        run = cli_json("deployment", "run", "add/dev", "--param", "x=1", env=server.env())
        deadline = time.monotonic() + 30
        while (
            cli_json("flow-run", "inspect", run["id"], env=server.env())["state_type"] != "CRASHED"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        worker.stop()
    logs = run_cli("flow-run", "logs", run["id"], env=server.env())
    assert logs.returncode == 0
    assert "exited with code 7" in logs.stdout


def test_a_worker_type_package_is_never_installed_without_a_known_source(
    server: RunningServer, tmp_path: Path
) -> None:
    # a type the registry knows but whose package is not installed here (every bundled type's
    # package is installed in the development environment, so the test maps its own)
    registry = tmp_path / "registry.json"
    registry.write_text('{"nebula": {"distribution": "flowyard-nebula"}}')
    env = server.env(FLOWYARD_WORKER_REGISTRY=str(registry))
    env.pop("PIP_INDEX_URL", None)
    started = run_cli(
        "worker",
        "start",
        "--pool",
        "neb",
        "--type",
        "nebula",
        "--install-policy",
        "if-not-present",
        env=env,
    )
    assert started.returncode != 0
    assert "Not installing flowyard-nebula" in started.stderr
    assert "PIP_INDEX_URL" in started.stderr
    assert "Installing flowyard-nebula" not in started.stderr  # pip never ran
