"""API keys and roles on a server started with auth on: no key, wrong key and wrong role get no data."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest
from flowyard.settings import Settings
from flowyard.testing.keys import create_api_key as create_key
from flowyard.testing.plugin import RunningServer, start_server, stop_server


@pytest.fixture
def auth_server(server_settings: Settings) -> Iterator[RunningServer]:
    settings = server_settings.model_copy(update={"server_auth": True})
    running = start_server(settings)
    yield running
    stop_server(running)


def client(server: RunningServer, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.api_url, headers=headers, timeout=30)


def test_roles(auth_server: RunningServer) -> None:
    keys = {
        role: create_key(auth_server.settings, role, role)
        for role in ("admin", "worker", "read-only", "deployer")
    }
    with client(auth_server, None) as anonymous:
        response = anonymous.get("/work_pools")
        assert response.status_code == 401 and "Missing API key" in response.json()["detail"]
    with client(auth_server, "fy_wrong") as wrong:
        assert wrong.get("/work_pools").status_code == 401
    with client(auth_server, keys["admin"]) as admin:
        assert admin.post("/work_pools", json={"name": "p", "type": "process"}).status_code == 201
    with client(auth_server, keys["worker"]) as worker:
        response = worker.post("/work_pools", json={"name": "q", "type": "process"})
        assert response.status_code == 403 and "worker" in response.json()["detail"]
        assert worker.patch("/work_pools/p", json={"is_paused": True}).status_code == 403
        assert worker.post("/work_pools/p/workers/heartbeat", json={"name": "w"}).status_code == 204
        assert worker.post("/work_pools/p/claim", json={"worker_name": "w"}).status_code == 200
    with client(auth_server, keys["read-only"]) as reader:
        assert reader.get("/work_pools/p").status_code == 200
        assert reader.post("/work_pools/p/claim", json={"worker_name": "w"}).status_code == 403
    with client(auth_server, keys["deployer"]) as deployer:
        assert (
            deployer.post(
                "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"}
            ).status_code
            == 200
        )
        assert deployer.delete("/work_pools/p").status_code == 403


def test_duplicate_key_name_and_bad_role_fail_cleanly(auth_server: RunningServer) -> None:
    create_key(auth_server.settings, "k", "admin")
    with pytest.raises(subprocess.CalledProcessError) as info:
        create_key(auth_server.settings, "k", "admin")
    assert "already exists" in info.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as info:
        create_key(auth_server.settings, "k2", "root")
    assert "--role must be one of" in info.value.stderr
