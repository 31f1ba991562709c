"""Helpers for end-to-end tests: a flow project on disk, deploying it, waiting for states."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from flows_src import FLOWS
from flowyard.testing import e2e
from flowyard.testing.e2e import flow_project, run_logs
from flowyard.testing.plugin import RunningServer

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def project(tmp_path: Path) -> Path:
    """A directory holding ``flows.py`` with the test flows."""
    return flow_project(tmp_path, FLOWS)


def deploy(
    server: RunningServer, root: Path, flow: str, name: str, pool: str, **options: Any
) -> None:
    """``<flow>.deploy(name, work_pool_name=pool, **options)`` in a fresh interpreter, as a user would."""
    result = e2e.deploy(server, root, flow, work_pool=pool, name=name, options=options, timeout=60)
    assert result.returncode == 0, result.stderr


def wait_for_state(
    api: httpx.Client, run_id: str, states: set[str] = FINAL, timeout: float = 30
) -> dict[str, Any]:
    """Poll the run until its state type is in ``states``."""
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = api.get(f"/flow_runs/{run_id}").json()
        if run["state_type"] in states:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} is still {run['state_name']}: {run}")
        time.sleep(0.1)


logs = run_logs  # all stored log messages of a run, one per line


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
