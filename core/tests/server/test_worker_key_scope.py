"""A worker key bound to pools acts only on their runs and workers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flowyard.settings import Settings
from flowyard.testing.keys import create_api_key as create_key
from flowyard.testing.plugin import RunningServer, start_server, stop_server


def create_bound_key(settings: Settings, name: str, pools: list[str]) -> str:
    return create_key(settings, name, "worker", pools)


@pytest.fixture
def auth_server(server_settings: Settings) -> Iterator[RunningServer]:
    running = start_server(server_settings.model_copy(update={"server_auth": True}))
    yield running
    stop_server(running)


def _client(server: RunningServer, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def test_a_pool_bound_worker_key_acts_only_on_its_pools(auth_server: RunningServer) -> None:
    admin = _client(auth_server, create_key(auth_server.settings, "admin", "admin"))
    run_ids = {}
    for pool in ("mine", "theirs"):
        assert admin.post("/work_pools", json={"name": pool, "type": "process"}).status_code == 201
        dep = admin.post(
            "/deployments", json={"flow_name": "f", "name": pool, "work_pool_name": pool}
        ).json()
        run_ids[pool] = admin.post(f"/deployments/{dep['id']}/runs", json={}).json()["id"]
    admin.post("/work_pools/theirs/workers/heartbeat", json={"name": "other"})
    worker = _client(auth_server, create_bound_key(auth_server.settings, "w", ["mine"]))

    assert worker.post("/work_pools/mine/claim", json={"worker_name": "w"}).status_code == 200
    assert worker.post("/work_pools/theirs/claim", json={"worker_name": "w"}).status_code == 403
    assert worker.delete("/work_pools/theirs/workers/other").status_code == 403
    assert worker.get(f"/flow_runs/{run_ids['mine']}").status_code == 200
    assert worker.get(f"/flow_runs/{run_ids['theirs']}").status_code == 403
    assert worker.get(f"/flow_runs/{run_ids['theirs']}/logs").status_code == 403
    forced = worker.post(
        f"/flow_runs/{run_ids['mine']}/state", json={"type": "COMPLETED", "force": True}
    )
    assert forced.status_code == 403
    listed = worker.post("/flow_runs/filter", json={}).json()
    assert {r["id"] for r in listed} == {run_ids["mine"]}


def test_an_unbound_worker_key_works_every_pool(auth_server: RunningServer) -> None:
    admin = _client(auth_server, create_key(auth_server.settings, "admin", "admin"))
    admin.post("/work_pools", json={"name": "any", "type": "process"})
    worker = _client(auth_server, create_key(auth_server.settings, "w", "worker"))
    assert worker.post("/work_pools/any/claim", json={"worker_name": "w"}).status_code == 200


def test_an_unbound_worker_key_may_not_force_states_read_logs_or_delete_workers(
    auth_server: RunningServer,
) -> None:
    admin = _client(auth_server, create_key(auth_server.settings, "admin", "admin"))
    admin.post("/work_pools", json={"name": "any", "type": "process"})
    dep = admin.post(
        "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "any"}
    ).json()
    run_id = admin.post(f"/deployments/{dep['id']}/runs", json={}).json()["id"]
    admin.post("/work_pools/any/workers/heartbeat", json={"name": "other"})
    worker = _client(auth_server, create_key(auth_server.settings, "w", "worker"))

    forced = worker.post(f"/flow_runs/{run_id}/state", json={"type": "COMPLETED", "force": True})
    assert forced.status_code == 403
    assert "force a state" in forced.json()["detail"]
    assert worker.get(f"/flow_runs/{run_id}/logs").status_code == 403
    assert worker.delete("/work_pools/any/workers/other").status_code == 403
    assert admin.get(f"/flow_runs/{run_id}").json()["state_type"] == "SCHEDULED"
    assert [w["name"] for w in admin.get("/work_pools/any/workers").json()] == ["other"]
    assert admin.delete("/work_pools/any/workers/other").status_code == 204
