"""Flow-run tokens: a claim hands each run a token that reads its own run and deployment and
writes its own states and logs, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flowyard.settings import Settings
from flowyard.testing.plugin import RunningServer, start_server, stop_server
from server_keys import add_key


@pytest.fixture
def auth_server(server_settings: Settings) -> Iterator[RunningServer]:
    running = start_server(server_settings.model_copy(update={"server_auth": True}))
    yield running
    stop_server(running)


def client(server: RunningServer, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


@pytest.fixture
def claimed(auth_server: RunningServer) -> dict[str, Any]:
    """Two runs of one deployment, both claimed by a worker: the runs, tokens and keys."""
    admin_key = add_key(auth_server.settings, "admin")
    worker_key = add_key(auth_server.settings, "worker")
    with client(auth_server, admin_key) as admin:
        assert admin.post("/work_pools", json={"name": "p", "type": "process"}).status_code == 201
        deployment = admin.post(
            "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"}
        ).json()
        runs = [admin.post(f"/deployments/{deployment['id']}/runs", json={}).json() for _ in "ab"]
    with client(auth_server, worker_key) as worker:
        answer = worker.post("/work_pools/p/claim", json={"worker_name": "w", "limit": 2}).json()
    tokens = {item["flow_run"]["id"]: item["run_token"] for item in answer["runs"]}
    return {"runs": runs, "tokens": tokens, "deployment": deployment, "admin": admin_key}


def test_each_claimed_run_gets_its_own_token(claimed: dict[str, Any]) -> None:
    tokens = claimed["tokens"]
    assert set(tokens) == {r["id"] for r in claimed["runs"]}
    assert all(token.startswith("fyrun_") for token in tokens.values())
    assert len(set(tokens.values())) == 2


def test_a_run_token_reads_its_own_run_and_deployment_and_writes_its_state_and_logs(
    auth_server: RunningServer, claimed: dict[str, Any]
) -> None:
    run = claimed["runs"][0]
    with client(auth_server, claimed["tokens"][run["id"]]) as own:
        assert own.get(f"/flow_runs/{run['id']}").status_code == 200
        assert own.get(f"/deployments/{claimed['deployment']['id']}").status_code == 200
        state = own.post(f"/flow_runs/{run['id']}/state", json={"type": "RUNNING"})
        logs = own.post("/logs", json=[{"flow_run_id": run["id"], "message": "hello"}])
    assert state.status_code == 200, state.text
    assert logs.status_code == 201, logs.text


def test_a_run_token_cannot_read_another_run_or_write_its_logs(
    auth_server: RunningServer, claimed: dict[str, Any]
) -> None:
    mine, other = claimed["runs"]
    with client(auth_server, claimed["tokens"][mine["id"]]) as own:
        assert own.get(f"/flow_runs/{other['id']}").status_code == 403
        assert own.get(f"/flow_runs/{other['id']}/logs").status_code == 403
        assert (
            own.post(f"/flow_runs/{other['id']}/state", json={"type": "RUNNING"}).status_code == 403
        )
        logs = own.post("/logs", json=[{"flow_run_id": other["id"], "message": "x"}])
        assert logs.status_code == 403
        assert own.post("/flow_runs/filter", json={}).status_code == 403


def test_a_run_token_cannot_claim_or_change_a_pool(
    auth_server: RunningServer, claimed: dict[str, Any]
) -> None:
    run = claimed["runs"][0]
    with client(auth_server, claimed["tokens"][run["id"]]) as own:
        claim = own.post("/work_pools/p/claim", json={"worker_name": "w"})
        pause = own.patch("/work_pools/p", json={"is_paused": True})
        pools = own.get("/work_pools")
        secret = own.get("/secrets")
    assert claim.status_code == 403 and "own run" in claim.json()["detail"]
    assert pause.status_code == 403 and pools.status_code == 403 and secret.status_code == 403


def test_a_forged_or_altered_token_is_refused(
    auth_server: RunningServer, claimed: dict[str, Any]
) -> None:
    mine, other = claimed["runs"]
    token = claimed["tokens"][mine["id"]]
    forged = token.replace(mine["id"], other["id"])
    with client(auth_server, forged) as fake:
        assert fake.get(f"/flow_runs/{other['id']}").status_code == 401


def test_an_expired_token_is_refused(server_settings: Settings) -> None:
    settings = server_settings.model_copy(
        update={"server_auth": True, "server_run_token_seconds": 0.001}
    )
    running = start_server(settings)
    try:
        worker_key = add_key(settings, "worker")
        admin_key = add_key(settings, "admin")
        with client(running, admin_key) as admin:
            admin.post("/work_pools", json={"name": "p", "type": "process"})
            dep = admin.post(
                "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"}
            ).json()
            run = admin.post(f"/deployments/{dep['id']}/runs", json={}).json()
        with client(running, worker_key) as worker:
            item = worker.post("/work_pools/p/claim", json={"worker_name": "w"}).json()["runs"][0]
        with client(running, item["run_token"]) as own:
            response = own.get(f"/flow_runs/{run['id']}")
        assert response.status_code == 401 and "expired" in response.json()["detail"]
    finally:
        stop_server(running)
