"""Forced states keep the lease invariants: a forced PENDING run is never stranded."""

from __future__ import annotations

import time

import pytest
from conftest import Api
from flowyard.settings import Settings


@pytest.fixture
def server_settings(server_settings: Settings) -> Settings:
    return server_settings.model_copy(update={"server_claim_lease_seconds": 1.0})


def test_a_run_forced_to_pending_is_handed_back_when_its_lease_expires(api: Api) -> None:
    api.pool()
    run = api.run(api.deployment()["id"])
    forced = api.post(f"/flow_runs/{run['id']}/state", json={"type": "PENDING", "force": True})
    assert forced.json()["status"] == "ACCEPT"
    deadline = time.monotonic() + 20
    state = "PENDING"
    while time.monotonic() < deadline and state == "PENDING":
        time.sleep(0.3)
        state = api.get(f"/flow_runs/{run['id']}").json()["state_type"]
    assert state == "SCHEDULED"


def test_a_run_forced_to_scheduled_is_released_from_its_claim(api: Api) -> None:
    api.pool()
    run = api.run(api.deployment()["id"])
    claimed = api.post("/work_pools/pool/claim", json={"worker_name": "w"}).json()["runs"]
    assert [c["flow_run"]["id"] for c in claimed] == [run["id"]]
    api.post(f"/flow_runs/{run['id']}/state", json={"type": "SCHEDULED", "force": True})
    after = api.get(f"/flow_runs/{run['id']}").json()
    assert after["state_type"] == "SCHEDULED"
    assert after["claim_id"] is None and after["worker_name"] is None
