"""Taking over the runs of a stopped push replica, on both databases: one conditional UPDATE
moves a run to the replica that takes it, keeping its claim id; only one replica wins; a live
replica's runs are left alone; the lease-expiry service waits out the takeover grace."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from flowyard.server.db import Database
from flowyard.server.push.takeover import take_over
from flowyard.server.services.context import ServerContext
from flowyard.server.services.notify import Notifier
from flowyard.settings import Settings
from flowyard.testing.plugin import RunningServer

LEASE = 1.0


@pytest.fixture
def server_settings(server_settings: Settings) -> Settings:
    """No submitter of the server's own (the test plays the replicas); short claim leases."""
    return server_settings.model_copy(
        update={"server_push": False, "server_claim_lease_seconds": LEASE}
    )


@pytest.fixture
def ctx(server: RunningServer) -> Any:
    db = Database(server.settings.resolved_database_url())
    yield ServerContext(db=db, settings=server.settings, notifier=Notifier())
    db.dispose()


def _claimed_by(http: httpx.Client, replica: str) -> dict[str, Any]:
    """A run of push pool ``tasks`` claimed by worker ``push@<replica>``."""
    http.post("/work_pools", json={"name": "tasks", "type": "ecs:push"}).raise_for_status()
    deployment = http.post(
        "/deployments", json={"flow_name": "flow", "name": "d", "work_pool_name": "tasks"}
    ).json()
    http.post(f"/deployments/{deployment['id']}/runs", json={}).raise_for_status()
    claim = http.post(
        "/work_pools/tasks/claim", json={"worker_name": f"push@{replica}", "limit": 1}
    ).json()
    (claimed,) = claim["runs"]
    return dict(claimed)


def test_a_lapsed_run_moves_to_the_taker_under_the_same_claim(
    http: httpx.Client, ctx: ServerContext
) -> None:
    claimed = _claimed_by(http, "dead")
    time.sleep(LEASE + 0.2)
    assert take_over(ctx, "tasks", "push@alive", restarted=False) == [claimed["flow_run"]["id"]]
    run = http.get(f"/flow_runs/{claimed['flow_run']['id']}").json()
    assert run["worker_name"] == "push@alive"
    assert run["claim_id"] == claimed["claim_id"]
    assert run["state_type"] == "PENDING"


def test_only_one_replica_takes_a_run(http: httpx.Client, ctx: ServerContext) -> None:
    _claimed_by(http, "dead")
    time.sleep(LEASE + 0.2)
    first = take_over(ctx, "tasks", "push@one", restarted=False)
    second = take_over(ctx, "tasks", "push@two", restarted=False)
    assert len(first) == 1 and second == []


def test_a_run_whose_lease_is_alive_is_not_taken(http: httpx.Client, ctx: ServerContext) -> None:
    _claimed_by(http, "busy")
    assert take_over(ctx, "tasks", "push@other", restarted=False) == []


def test_a_restarted_replica_takes_back_its_own_runs_at_once(
    http: httpx.Client, ctx: ServerContext
) -> None:
    claimed = _claimed_by(http, "same")
    assert take_over(ctx, "tasks", "push@same", restarted=True) == [claimed["flow_run"]["id"]]


def test_the_pool_status_names_the_replicas_serving_it(
    http: httpx.Client, ctx: ServerContext
) -> None:
    _claimed_by(http, "alive")
    http.post("/work_pools/tasks/workers/heartbeat", json={"name": "push@alive"})
    push = http.get("/work_pools/tasks").json()["push"]
    assert push["served_by"] == ["alive"]
    assert push["installed"] is True and push["credentials"] == "ambient"


def test_lease_expiry_leaves_a_push_run_to_takeover_during_the_grace(
    http: httpx.Client, ctx: ServerContext
) -> None:
    from flowyard.server.services.loops import expire_leases

    claimed = _claimed_by(http, "dead")
    time.sleep(LEASE + 0.2)
    assert expire_leases(ctx) == 0
    run = http.get(f"/flow_runs/{claimed['flow_run']['id']}").json()
    assert run["state_type"] == "PENDING" and run["claim_id"] == claimed["claim_id"]


def _running_by(http: httpx.Client, replica: str) -> dict[str, Any]:
    """A RUNNING run of push pool ``tasks`` held by ``push@<replica>``, which heartbeated once
    (its lease is now the 300 s running lease)."""
    claimed = _claimed_by(http, replica)
    http.post(
        "/work_pools/tasks/workers/heartbeat", json={"name": f"push@{replica}"}
    ).raise_for_status()
    http.post(
        f"/flow_runs/{claimed['flow_run']['id']}/state",
        json={"type": "RUNNING", "claim_id": claimed["claim_id"]},
    ).raise_for_status()
    return claimed


def test_a_running_run_of_a_silent_replica_is_taken_after_a_claim_lease_not_the_running_lease(
    http: httpx.Client, ctx: ServerContext
) -> None:
    claimed = _running_by(http, "dead")
    run_id = claimed["flow_run"]["id"]
    assert http.get(f"/flow_runs/{run_id}").json()["state_type"] == "RUNNING"
    time.sleep(LEASE + 0.2)  # no heartbeat for a claim lease; the running lease is far off
    assert take_over(ctx, "tasks", "push@alive", restarted=False) == [run_id]
    run = http.get(f"/flow_runs/{run_id}").json()
    assert (run["worker_name"], run["claim_id"]) == ("push@alive", claimed["claim_id"])


def test_a_running_run_of_a_replica_that_heartbeats_is_left_alone(
    http: httpx.Client, ctx: ServerContext
) -> None:
    _running_by(http, "busy")
    time.sleep(LEASE + 0.2)
    http.post("/work_pools/tasks/workers/heartbeat", json={"name": "push@busy"})
    assert take_over(ctx, "tasks", "push@other", restarted=False) == []
