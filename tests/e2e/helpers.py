"""Helpers for end-to-end tests: a flow project on disk, deploying it, waiting for states."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from flows_src import FLOWS
from flowyard.testing.plugin import RunningServer

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def project(tmp_path: Path) -> Path:
    """A directory holding ``flows.py`` with the test flows."""
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    (root / "flows.py").write_text(FLOWS)
    return root


def deploy(
    server: RunningServer, root: Path, flow: str, name: str, pool: str, **options: Any
) -> None:
    """``<flow>.deploy(name, work_pool_name=pool, **options)`` in a fresh interpreter, as a user would."""
    code = (
        f"from flows import {flow}\n{flow}.deploy({name!r}, work_pool_name={pool!r}, **{options!r})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
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


def logs(api: httpx.Client, run_id: str) -> str:
    """All stored log messages of a run, one per line."""
    return "\n".join(line["message"] for line in api.get(f"/flow_runs/{run_id}/logs").json())


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
