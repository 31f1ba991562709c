"""The process worker's cold start (``FLOWYARD_WORKER_WARM_ENGINE=false``), end to end.

The other e2e modules run with the default, the warm engine (a fork server forks each run). This
module runs again, with a new interpreter per run, the tests that exercise what differs between
the two: output streaming and log shipping, a failing flow, a flow killed with SIGKILL (crash
detection from the exit status), cancellation (process-group signals) and a graceful worker stop.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import WorkerProcess, start_worker
from helpers import deploy, project, wait_for_state
from test_process_tutorial import (  # noqa: F401  (collected again here, in cold mode)
    pool_and_worker,
    test_cancelled_long_flow_has_its_process_killed,
    test_deployed_flow_runs_to_completed_with_its_prints_in_the_logs,
    test_failing_flow_ends_failed_with_the_error,
    test_flow_killed_with_sigkill_ends_crashed,
)
from test_worker_runtime import test_sigterm_lets_running_runs_finish  # noqa: F401

pytestmark = SQLITE_ONLY


@pytest.fixture(autouse=True)
def cold_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers started by these tests start each run in a new interpreter."""
    monkeypatch.setenv("FLOWYARD_WORKER_WARM_ENGINE", "false")


def _run_hello(server: RunningServer, http: httpx.Client, tmp_path: Path) -> str:
    deploy(server, project(tmp_path), "hello", "dev", "local", parameters={"name": "ann"})
    run = cli_json("deployment", "run", "hello/dev", env=server.env())
    assert wait_for_state(http, run["id"])["state_type"] == "COMPLETED"
    return str(run["id"])


def test_the_cold_worker_never_starts_a_fork_server(
    server: RunningServer,
    http: httpx.Client,
    tmp_path: Path,
    pool_and_worker: WorkerProcess,  # noqa: F811  (the fixture imported above)
) -> None:
    _run_hello(server, http, tmp_path)
    assert "Warm engine ready" not in pool_and_worker.output()


def test_the_default_worker_runs_flows_from_the_warm_engine(
    server: RunningServer, http: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLOWYARD_WORKER_WARM_ENGINE")
    assert (
        run_cli("work-pool", "create", "local", "--type", "process", env=server.env()).returncode
        == 0
    )
    worker = start_worker(server, "--pool", "local", log=tmp_path / "worker.log")
    try:
        _run_hello(server, http, tmp_path)
        assert "Warm engine ready" in worker.output()
    finally:
        worker.stop(signal.SIGKILL)
