"""Helpers for the browser tests: the flows they deploy, deploying, API keys."""

from __future__ import annotations

import sys
from pathlib import Path

from flowyard.testing import e2e
from flowyard.testing.keys import create_api_key as create_key
from flowyard.testing.plugin import RunningServer

__all__ = ["CLI", "FLOWS", "create_key", "deploy", "make_pool"]

CLI = [sys.executable, "-m", "flowyard.cli"]

FLOWS = """
import time

from flowyard import flow


@flow(log_prints=True)
def chatty(lines: int = 5, pause: float = 0.3) -> int:
    for i in range(lines):
        print(f"line {i} of {lines}", flush=True)
        time.sleep(pause)
    return lines


@flow(log_prints=True)
def sleepy(seconds: float = 120) -> None:
    print("sleeping", flush=True)
    time.sleep(seconds)
"""


def deploy(server: RunningServer, root: Path, flow: str, name: str, pool: str) -> str:
    """Deploy ``flow`` from the project as a user would (a fresh interpreter); returns its id."""
    import httpx

    result = e2e.deploy(server, root, flow, work_pool=pool, name=name, timeout=60)
    assert result.returncode == 0, result.stderr
    found = httpx.get(f"{server.api_url}/deployments/name/{flow}/{name}", timeout=10)
    return str(found.json()["id"])


def make_pool(server: RunningServer, name: str) -> None:
    """A ``process`` work pool made through the API."""
    import httpx

    response = httpx.post(
        f"{server.api_url}/work_pools", json={"name": name, "type": "process"}, timeout=10
    )
    assert response.status_code == 201, response.text
