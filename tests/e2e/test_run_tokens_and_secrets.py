"""A pull worker on a server with auth: the flow run gets its own token (never the worker's key)
and the pool template's ``{{ secret('name') }}`` is resolved from the secrets store at submit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flowyard.server.secret_cipher import generate_key
from flowyard.settings import Settings
from flowyard.testing.keys import insert_api_key
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer, start_server, stop_server
from flowyard.testing.worker import start_worker
from helpers import deploy, logs, project, wait_for_state
from pydantic import SecretStr

pytestmark = SQLITE_ONLY
VALUE = "e2e-secret-value-51c0"


def add_key(settings: Settings, role: str) -> str:
    return insert_api_key(settings, role, prefix="fy_e2e")


@pytest.fixture
def secure_server(server_settings: Settings) -> Iterator[RunningServer]:
    settings = server_settings.model_copy(
        update={"server_auth": True, "server_secrets_key": SecretStr(generate_key())}
    )
    running = start_server(settings)
    yield running
    stop_server(running)


def test_a_pulled_run_uses_its_own_token_and_gets_the_templates_secret(
    secure_server: RunningServer, tmp_path: Path
) -> None:
    admin_key = add_key(secure_server.settings, "admin")
    worker_key = add_key(secure_server.settings, "worker")
    admin = httpx.Client(
        base_url=secure_server.api_url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
    )
    assert admin.post("/secrets", json={"name": "x-value", "value": VALUE}).status_code == 201
    template = {
        "job_configuration": {"command": "{{ command }}", "env": {"X": "{{ secret('x-value') }}"}},
        "variables": {"type": "object", "properties": {"command": {"type": "string"}}},
    }
    created = admin.post(
        "/work_pools", json={"name": "local", "type": "process", "base_job_template": template}
    )
    assert created.status_code == 201, created.text
    root = project(tmp_path)
    admin_env = secure_server.env(FLOWYARD_API_KEY=admin_key)
    deploy(RunningServerWithKey(secure_server, admin_env), root, "whoami", "who", "local")
    deployment = admin.get("/deployments/name/whoami/who").json()
    run = admin.post(f"/deployments/{deployment['id']}/runs", json={}).json()
    worker = start_worker(
        secure_server,
        "--pool",
        "local",
        "--name",
        "w1",
        log=tmp_path / "w.log",
        FLOWYARD_API_KEY=worker_key,
    )
    try:
        final = wait_for_state(admin, run["id"], timeout=60)
    finally:
        worker.stop()
    assert final["state_type"] == "COMPLETED", logs(admin, run["id"])
    assert f"key kind fyrun; X={VALUE}" in logs(admin, run["id"])
    stored = admin.get("/work_pools/local").text + admin.get(f"/flow_runs/{run['id']}").text
    worker_lines = [line for line in worker.output().splitlines() if "flowyard.worker" in line]
    assert VALUE not in stored and not [line for line in worker_lines if VALUE in line]
    admin.close()


class RunningServerWithKey:
    """A server's address with an environment that carries an API key (for ``deploy``)."""

    def __init__(self, server: RunningServer, env: dict[str, str]) -> None:
        self._env = env

    def env(self, **extra: str) -> dict[str, str]:
        return {**self._env, **extra}
