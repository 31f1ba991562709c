"""Output a user of the system flowyard competes with expects, run as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer

pytestmark = SQLITE_ONLY

FLOWS = """
from flowyard import flow

@flow
def get_repo_info(repo_name: str = "a/b") -> None:
    print(repo_name)
"""


def deploy(server: RunningServer, tmp_path: Path, name: str = "my-first-deployment") -> None:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "flows.py").write_text(FLOWS)
    code = f"from flows import get_repo_info\nget_repo_info.deploy({name!r}, work_pool_name='pool')"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=server.env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def create_pool(server: RunningServer, *args: str) -> str:
    created = run_cli("work-pool", "create", "pool", "--type", "process", *args, env=server.env())
    assert created.returncode == 0, created.stderr
    return created.stdout


def test_work_pool_create_prints_the_pool_and_the_next_commands(server: RunningServer) -> None:
    out = create_pool(server, "--concurrency-limit", "3")
    pool = cli_json("work-pool", "inspect", "pool", env=server.env())
    assert f"id: {pool['id']}" in out
    assert "type: process" in out and "concurrency limit: 3" in out
    assert "flowyard worker start --pool pool" in out
    assert "flowyard work-pool inspect pool" in out


def test_work_pool_delete_asks_and_yes_skips(server: RunningServer) -> None:
    create_pool(server)
    refused = run_cli("work-pool", "delete", "pool", env=server.env())
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert cli_json("work-pool", "inspect", "pool", env=server.env())["name"] == "pool"
    assert run_cli("work-pool", "delete", "pool", "--yes", env=server.env()).returncode == 0
    assert cli_json("work-pool", "ls", env=server.env()) == []


def test_a_negative_concurrency_limit_is_a_clear_error(server: RunningServer) -> None:
    create_pool(server)
    result = run_cli("work-pool", "set-concurrency-limit", "pool", "-1", env=server.env())
    assert result.returncode == 2
    assert "LIMIT must be a whole number >= 0" in result.stderr
    assert "clear-concurrency-limit" in result.stderr


def test_flow_run_commands_take_an_id_prefix_or_the_runs_name(
    server: RunningServer, tmp_path: Path
) -> None:
    create_pool(server)
    deploy(server, tmp_path)
    run = cli_json("deployment", "run", "get-repo-info/my-first-deployment", env=server.env())
    by_prefix = cli_json("flow-run", "inspect", run["id"][:8], env=server.env())
    by_name = cli_json("flow-run", "inspect", run["name"], env=server.env())
    assert by_prefix["id"] == by_name["id"] == run["id"]
    assert run_cli("flow-run", "logs", run["id"][:8], env=server.env()).returncode == 0
    unknown = run_cli("flow-run", "logs", "no-such-run", env=server.env())
    assert unknown.returncode == 1 and "unique start of its id" in unknown.stderr
    cancelled = run_cli("flow-run", "cancel", run["name"], env=server.env())
    assert cancelled.returncode == 0, cancelled.stderr


def test_a_deployment_is_found_by_the_functions_name_too(
    server: RunningServer, tmp_path: Path
) -> None:
    create_pool(server)
    deploy(server, tmp_path)
    run = cli_json("deployment", "run", "get_repo_info/my-first-deployment", env=server.env())
    assert run["deployment_name"] == "my-first-deployment"
    typo = run_cli("deployment", "run", "get_repo_info/my-first-deploymnt", env=server.env())
    assert typo.returncode == 1
    assert "Did you mean 'get-repo-info/my-first-deployment'?" in typo.stderr


def test_watch_says_what_the_run_is_waiting_for(server: RunningServer, tmp_path: Path) -> None:
    create_pool(server)
    deploy(server, tmp_path)
    assert run_cli("work-pool", "pause", "pool", env=server.env()).returncode == 0
    try:
        run_cli(
            "deployment",
            "run",
            "get-repo-info/my-first-deployment",
            "--watch",
            env=server.env(),
            timeout=4,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else str(exc.stdout)
    assert "work pool 'pool' is paused" in out and "flowyard work-pool resume pool" in out
    assert run_cli("work-pool", "resume", "pool", env=server.env()).returncode == 0
    try:
        run_cli(
            "deployment",
            "run",
            "get-repo-info/my-first-deployment",
            "--watch",
            env=server.env(),
            timeout=4,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else str(exc.stdout)
    assert "no worker is online" in out and "flowyard worker start --pool pool" in out


def test_validation_errors_are_printed_once(server: RunningServer, tmp_path: Path) -> None:
    template = json.loads(
        run_cli("work-pool", "get-default-base-job-template", "-t", "process").stdout
    )
    template["job_configuration"]["extra"] = "{{ not_declared }}"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(template))
    refused = run_cli(
        "work-pool",
        "create",
        "p",
        "-t",
        "process",
        "--base-job-template",
        str(bad),
        env=server.env(),
    )
    assert refused.returncode == 1
    assert refused.stderr.count("not_declared") == 1, refused.stderr


def test_the_healthcheck_bind_host_is_a_setting(server: RunningServer, http: httpx.Client) -> None:
    code = (
        "from flowyard.worker.runtime import WorkerOptions\n"
        "print(WorkerOptions.from_settings('p').healthcheck_host)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=server.env(FLOWYARD_WORKER_HEALTHCHECK_HOST="127.0.0.1"),
        capture_output=True,
        text=True,
    )
    assert done.stdout.strip() == "127.0.0.1", done.stderr
