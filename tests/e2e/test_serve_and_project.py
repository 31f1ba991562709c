"""`flow.serve` (no pool, no worker) and `flowyard deploy` from flowyard.yaml, end to end."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from helpers import logs, project, wait_for_state

pytestmark = SQLITE_ONLY


def test_serve_runs_triggered_and_cancelled_runs(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    root = project(tmp_path)
    (root / "serve_it.py").write_text(
        "from flows import hello, sleepy\n"
        "import sys\n"
        "target = {'hello': hello, 'sleepy': sleepy}[sys.argv[1]]\n"
        "target.serve(sys.argv[1] + '-served')\n"
    )
    served = subprocess.Popen(
        [sys.executable, "serve_it.py", "hello"],
        cwd=root,
        env=server.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while http.get("/deployments/name/hello/hello-served").status_code != 200:
            assert time.monotonic() < deadline and served.poll() is None
            time.sleep(0.1)
        listed = run_cli("deployment", "ls", env=server.env()).stdout
        assert "(served)" in listed
        run = cli_json(
            "deployment", "run", "hello/hello-served", "--param", "name=served", env=server.env()
        )
        final = wait_for_state(http, run["id"])
        assert final["state_type"] == "COMPLETED"
        assert "hello served #0" in logs(http, run["id"])
        assert final["work_pool_name"] is None
    finally:
        served.send_signal(signal.SIGINT)
        served.wait(timeout=30)


def test_serve_cancellation_kills_the_run(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    root = project(tmp_path)
    (root / "serve_sleepy.py").write_text("from flows import sleepy\nsleepy.serve('long')\n")
    served = subprocess.Popen(
        [sys.executable, "serve_sleepy.py"],
        cwd=root,
        env=server.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while http.get("/deployments/name/sleepy/long").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        run = cli_json("deployment", "run", "sleepy/long", env=server.env())
        wait_for_state(http, run["id"], {"RUNNING"})
        assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0
        assert wait_for_state(http, run["id"], timeout=15)["state_type"] == "CANCELLED"
    finally:
        served.send_signal(signal.SIGTERM)
        served.wait(timeout=30)


PROJECT = """
deployments:
  - name: nightly
    entrypoint: flows.py:hello
    parameters: {name: yaml}
    work_pool:
      name: local
      job_variables: {env: {X: from-yaml}}
    schedules:
      - cron: "0 3 * * *"
        timezone: Europe/Berlin
    tags: [etl]
  - name: adhoc
    entrypoint: flows.py:broken
    work_pool: {name: local}
"""


def test_deploy_from_project_file(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    root = project(tmp_path)
    assert (
        run_cli("work-pool", "create", "local", "-t", "process", env=server.env()).returncode == 0
    )
    (root / "flowyard.yaml").write_text(PROJECT)
    checked = run_cli(
        "deploy", "--file", str(root / "flowyard.yaml"), "--dry-run", env=server.env()
    )
    assert checked.returncode == 0, checked.stderr
    assert http.get("/deployments").json() == []
    done = subprocess.run(
        [sys.executable, "-m", "flowyard.cli", "deploy"],
        cwd=root,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    nightly = cli_json("deployment", "inspect", "hello/nightly", env=server.env())
    assert nightly["parameters"] == {"name": "yaml"} and nightly["tags"] == ["etl"]
    assert nightly["job_variables"] == {"env": {"X": "from-yaml"}}
    assert nightly["schedules"][0]["cron"] == "0 3 * * *"
    assert nightly["schedules"][0]["timezone"] == "Europe/Berlin"
    assert nightly["path"] == str(root.resolve()) and nightly["entrypoint"] == "flows.py:hello"
    assert (
        cli_json("deployment", "inspect", "broken/adhoc", env=server.env())["work_pool_name"]
        == "local"
    )
    again = run_cli("deploy", "nightly", "--file", str(root / "flowyard.yaml"), env=server.env())
    assert (
        again.returncode == 0 and len(http.get("/deployments").json()) == 2
    )  # upsert, no duplicates


def test_bad_project_files_name_the_field_and_send_nothing(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    root = project(tmp_path)
    assert (
        run_cli("work-pool", "create", "local", "-t", "process", env=server.env()).returncode == 0
    )
    file = root / "flowyard.yaml"
    cases = {
        "deployments:\n  - name: a\n    entrypoint: flows.py:hello\n    work_pool: {name: local}\n  - name: b\n    work_pool: {nme: local}\n    entrypoint: flows.py:hello\n": "deployments.1.work_pool.name",
        "deployments:\n  - name: a\n    entrypoint: flows.py:nope\n    work_pool: {name: local}\n": "deployments[0].entrypoint",
        "deployments:\n  - name: a\n    entrypoint: flows.py:hello\n    work_pool: {name: local}\n    schedules: [{cron: 'not cron'}]\n": "deployments.0.schedules.0",
        "deployments: [": "not valid YAML",
    }
    for text, field in cases.items():
        file.write_text(text)
        result = run_cli("deploy", "--file", str(file), env=server.env())
        assert result.returncode == 1, text
        assert field in result.stderr, result.stderr
    assert http.get("/deployments").json() == []
    missing = run_cli("deploy", "--file", str(root / "absent.yaml"), env=server.env())
    assert missing.returncode == 1 and "Cannot read" in missing.stderr
