"""The work-pool and work-queue commands, run as subprocesses against a real server on loopback.

The server logic is covered on both databases by the API tests; these tests check what a user of
the CLI sees (tables, JSON, messages, exit codes), so they run on SQLite only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import httpx
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer, free_port

pytestmark = SQLITE_ONLY


def test_pool_lifecycle(server: RunningServer) -> None:
    env = server.env()
    created = run_cli("work-pool", "create", "etl", "--type", "process", env=env)
    assert created.returncode == 0, created.stderr
    assert "Created work pool etl" in created.stdout

    table = run_cli("work-pool", "ls", env=env)
    assert table.returncode == 0
    assert "etl" in table.stdout and "process" in table.stdout

    [pool] = cli_json("work-pool", "ls", env=env)
    assert pool["name"] == "etl" and pool["type"] == "process"
    assert pool["status"] == "NOT_READY"  # no worker yet
    assert pool["base_job_template"]["job_configuration"]["command"] == "{{ command }}"

    assert run_cli("work-pool", "pause", "etl", env=env).returncode == 0
    paused = cli_json("work-pool", "inspect", "etl", env=env)
    assert paused["is_paused"] is True and paused["status"] == "PAUSED"
    listed = run_cli("work-pool", "ls", env=env).stdout
    assert "etl (**)" in listed and "(**) denotes a paused pool" in listed
    assert run_cli("work-pool", "resume", "etl", env=env).returncode == 0

    assert run_cli("work-pool", "set-concurrency-limit", "etl", "5", env=env).returncode == 0
    assert cli_json("work-pool", "inspect", "etl", env=env)["concurrency_limit"] == 5
    assert run_cli("work-pool", "clear-concurrency-limit", "etl", env=env).returncode == 0
    assert cli_json("work-pool", "inspect", "etl", env=env)["concurrency_limit"] is None

    updated = run_cli(
        "work-pool",
        "update",
        "etl",
        "--description",
        "nightly",
        "--concurrency-limit",
        "2",
        env=env,
    )
    assert updated.returncode == 0, updated.stderr
    pool = cli_json("work-pool", "inspect", "etl", env=env)
    assert (pool["description"], pool["concurrency_limit"]) == ("nightly", 2)

    nothing = run_cli("work-pool", "update", "etl", env=env)
    assert nothing.returncode == 1 and "Nothing to update" in nothing.stderr

    assert run_cli("work-pool", "delete", "etl", "--yes", env=env).returncode == 0
    assert cli_json("work-pool", "ls", env=env) == []


def test_create_with_template_file_and_bad_template(server: RunningServer, tmp_path: Path) -> None:
    env = server.env()
    printed = run_cli("work-pool", "get-default-base-job-template", "--type", "process", env=env)
    template = json.loads(printed.stdout)
    template["variables"]["properties"]["command"]["default"] = "echo custom"
    good = tmp_path / "template.json"
    good.write_text(json.dumps(template))
    created = run_cli(
        "work-pool", "create", "custom", "-t", "process", "--base-job-template", str(good), env=env
    )
    assert created.returncode == 0, created.stderr
    pool = cli_json("work-pool", "inspect", "custom", env=env)
    assert (
        pool["base_job_template"]["variables"]["properties"]["command"]["default"] == "echo custom"
    )

    template["job_configuration"]["extra"] = "{{ not_declared }}"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(template))
    refused = run_cli("work-pool", "update", "custom", "--base-job-template", str(bad), env=env)
    assert refused.returncode == 1
    assert "not_declared" in refused.stderr
    pool = cli_json("work-pool", "inspect", "custom", env=env)
    assert "extra" not in pool["base_job_template"]["job_configuration"]  # nothing half-written

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = run_cli(
        "work-pool", "create", "x", "-t", "process", "--base-job-template", str(broken), env=env
    )
    assert result.returncode == 1 and "not valid JSON" in result.stderr


def test_api_errors_exit_1_with_the_servers_message(server: RunningServer) -> None:
    env = server.env()
    assert run_cli("work-pool", "create", "p", "-t", "process", env=env).returncode == 0
    duplicate = run_cli("work-pool", "create", "p", "-t", "process", env=env)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    missing = run_cli("work-pool", "inspect", "nope", env=env)
    assert missing.returncode == 1 and "nope" in missing.stderr
    unknown_type = run_cli("work-pool", "create", "q", "-t", "no-such-type", env=env)
    assert unknown_type.returncode == 1 and "process" in unknown_type.stderr
    default = run_cli("work-queue", "delete", "default", "--pool", "p", env=env)
    assert default.returncode == 1 and "default" in default.stderr


def test_unreachable_server_exits_3(server: RunningServer) -> None:
    env = server.env(FLOWYARD_API_URL=f"http://127.0.0.1:{free_port()}/api")
    result = run_cli("work-pool", "ls", env=env)
    assert result.returncode == 3
    assert "Cannot reach the flowyard server" in result.stderr


def test_queues_keep_unique_priorities(server: RunningServer) -> None:
    env = server.env()
    assert run_cli("work-pool", "create", "p", "-t", "process", env=env).returncode == 0
    for name, priority in (("high", "1"), ("low", "5")):
        done = run_cli("work-queue", "create", name, "--pool", "p", "--priority", priority, env=env)
        assert done.returncode == 0, done.stderr
    queues = cli_json("work-queue", "ls", "--pool", "p", env=env)
    assert [(q["name"], q["priority"]) for q in queues] == [("high", 1), ("default", 2), ("low", 5)]

    assert (
        run_cli(
            "work-queue", "update", "low", "-p", "p", "--priority", "1", "--limit", "3", env=env
        ).returncode
        == 0
    )
    queues = cli_json("work-queue", "ls", "--pool", "p", env=env)
    priorities = [q["priority"] for q in queues]
    assert len(set(priorities)) == len(priorities)
    assert queues[0]["name"] == "low" and queues[0]["concurrency_limit"] == 3

    assert run_cli("work-queue", "pause", "high", "-p", "p", env=env).returncode == 0
    assert cli_json("work-queue", "inspect", "high", "-p", "p", env=env)["is_paused"] is True
    assert run_cli("work-queue", "resume", "high", "-p", "p", env=env).returncode == 0
    table = run_cli("work-queue", "inspect", "high", "-p", "p", env=env)
    assert table.returncode == 0 and "priority" in table.stdout
    nothing = run_cli("work-queue", "update", "high", "-p", "p", env=env)
    assert nothing.returncode == 1 and "Nothing to update" in nothing.stderr

    assert run_cli("work-queue", "delete", "high", "-p", "p", env=env).returncode == 0
    names = [q["name"] for q in cli_json("work-queue", "ls", "--pool", "p", env=env)]
    assert names == ["low", "default"]
    zero = run_cli("work-queue", "create", "z", "-p", "p", "--priority", "0", env=env)
    assert zero.returncode == 2  # refused by the CLI before any request: priorities start at 1


def test_preview_marks_late_runs(server: RunningServer) -> None:
    env = server.env()
    api = httpx.Client(base_url=server.api_url)
    assert run_cli("work-pool", "create", "p", "-t", "process", env=env).returncode == 0
    dep = api.post(
        "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"}
    ).json()
    now = dt.datetime.now(dt.UTC)
    for name, when in (
        ("overdue-run", now - dt.timedelta(minutes=5)),
        ("soon-run", now + dt.timedelta(minutes=20)),
        ("far-run", now + dt.timedelta(hours=5)),
    ):
        response = api.post(
            f"/deployments/{dep['id']}/runs",
            json={"name": name, "scheduled_time": when.isoformat()},
        )
        assert response.status_code == 201, response.text
    runs = cli_json("work-pool", "preview", "p", "--hours", "1", env=env)
    assert [r["name"] for r in runs] == ["overdue-run", "soon-run"]
    table = run_cli("work-pool", "preview", "p", env=env).stdout
    overdue_line = next(line for line in table.splitlines() if "overdue-run" in line)
    soon_line = next(line for line in table.splitlines() if "soon-run" in line)
    assert "late" in overdue_line and "late" not in soon_line
