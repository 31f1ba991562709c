"""A 10 s server outage under a real worker running flows: every run completes, exactly once.

Real server on loopback (SQLite), a real `flowyard worker start`, real flow processes whose
engines call the server during the outage (their start, logs and final state) and retry.
The full-size variant (40 flows) is ``bench/server_outage.py``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
from flowyard.settings import Settings
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, start_server, stop_server
from flowyard.testing.worker import start_worker
from helpers import deploy, project, wait_for_state

pytestmark = SQLITE_ONLY
RUNS = int(os.environ.get("FLOWYARD_OUTAGE_RUNS", "6"))  # bench/server_outage.py sets 40
OUTAGE_SECONDS = 10.0


def test_runs_survive_a_server_outage_with_none_crashed_lost_or_duplicated(
    server_settings: Settings, tmp_path: Path
) -> None:
    server = start_server(server_settings)
    assert (
        run_cli("work-pool", "create", "local", "--type", "process", env=server.env()).returncode
        == 0
    )
    deploy(server, project(tmp_path), "sleepy", "dev", "local")
    run_ids = [
        cli_json("deployment", "run", "sleepy/dev", "--param", "seconds=8", env=server.env())["id"]
        for _ in range(RUNS)
    ]
    worker = start_worker(
        server,
        "--pool",
        "local",
        "--limit",
        str(RUNS),
        log=tmp_path / "w.log",
        FLOWYARD_WORKER_QUERY_SECONDS="1",
    )
    try:
        with httpx.Client(base_url=server.api_url) as http:
            for run_id in run_ids:
                wait_for_state(http, run_id, {"RUNNING", "COMPLETED"}, timeout=60 + 3 * RUNS)
        stop_server(server)
        time.sleep(OUTAGE_SECONDS)
        server = start_server(server_settings)
        with httpx.Client(base_url=server.api_url) as http:
            finals = [wait_for_state(http, run_id, timeout=90 + 3 * RUNS) for run_id in run_ids]
            histories = [http.get(f"/flow_runs/{r}/history").json() for r in run_ids]
        assert [f["state_type"] for f in finals] == ["COMPLETED"] * RUNS, worker.output()
        for history in histories:
            assert [s["type"] for s in history].count("RUNNING") == 1, history
    finally:
        worker.stop(signal.SIGKILL)
        stop_server(server)
