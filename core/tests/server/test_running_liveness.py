"""A claimed RUNNING run whose worker stops heartbeating is CRASHED; a renewed one keeps running."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import Api
from flowyard.settings import Settings


@pytest.fixture
def server_settings(server_settings: Settings) -> Settings:
    return server_settings.model_copy(update={"server_running_lease_seconds": 2.0})


def _running(api: Api) -> dict[str, Any]:
    api.pool()
    api.run(api.deployment()["id"])
    [claimed] = api.post("/work_pools/pool/claim", json={"worker_name": "w"}).json()["runs"]
    run_id = claimed["flow_run"]["id"]
    started = api.post(
        f"/flow_runs/{run_id}/state", json={"type": "RUNNING", "claim_id": claimed["claim_id"]}
    )
    assert started.json()["status"] == "ACCEPT"
    return dict(claimed["flow_run"])


def test_a_running_run_without_heartbeats_is_crashed_and_frees_its_slot(api: Api) -> None:
    run = _running(api)
    deadline = time.monotonic() + 20
    state = "RUNNING"
    while time.monotonic() < deadline and state == "RUNNING":
        time.sleep(0.3)
        state = api.get(f"/flow_runs/{run['id']}").json()["state_type"]
    assert state == "CRASHED"
    assert "No heartbeat" in api.get(f"/flow_runs/{run['id']}").json()["state_message"]


def test_a_running_run_whose_worker_heartbeats_keeps_running(api: Api) -> None:
    run = _running(api)
    for _ in range(12):
        api.post(
            "/work_pools/pool/workers/heartbeat", json={"name": "w", "held_run_ids": [run["id"]]}
        )
        time.sleep(0.5)
    assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "RUNNING"
