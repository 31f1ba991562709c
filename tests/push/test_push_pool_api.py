"""Push pools through the API and the CLI, with no Docker: which types may be pushed, the
template a push pool gets, its status (installed, credentials, PAUSED) and `worker start`."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest
from cryptography.fernet import Fernet
from flowyard.server.push.identity import replica_name
from flowyard.settings import Settings
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.keys import insert_api_key
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.worker_types import default_base_job_template
from pydantic import SecretStr

pytestmark = SQLITE_ONLY  # the push status and takeover SQL run on both in test_push_takeover.py


@pytest.fixture
def server_settings(server_settings: Settings) -> Settings:
    """The test server holds a secrets key (push pools read credentials from the store)."""
    return server_settings.model_copy(
        update={"server_secrets_key": SecretStr(Fernet.generate_key().decode())}
    )


def push_pool(http: httpx.Client, **extra: object) -> None:
    """An ``ecs:push`` pool named ``tasks`` created through the API (``extra`` fields added)."""
    http.post("/work_pools", json={"name": "tasks", "type": "ecs:push", **extra}).raise_for_status()


def create_push_pool(server: RunningServer, credentials: str) -> subprocess.CompletedProcess[str]:
    """``flowyard work-pool create tasks --type ecs:push --credentials <credentials>``."""
    return run_cli(
        "work-pool",
        "create",
        "tasks",
        "--type",
        "ecs:push",
        "--credentials",
        credentials,
        env=server.env(),
    )


def test_a_push_pool_gets_its_worker_types_default_template(http: httpx.Client) -> None:
    created = http.post("/work_pools", json={"name": "runs", "type": "cloud-run:push"})
    assert created.status_code == 201, created.text
    assert created.json()["base_job_template"] == default_base_job_template("cloud-run")


def test_a_type_without_push_support_is_refused_naming_the_type_field(http: httpx.Client) -> None:
    refused = http.post("/work_pools", json={"name": "local", "type": "process:push"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "type"
    assert "does not support push pools" in refused.json()["detail"]


def test_an_unknown_push_type_is_refused_naming_the_type_field(http: httpx.Client) -> None:
    refused = http.post("/work_pools", json={"name": "nope", "type": "no-such-type:push"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "type"


def test_the_cli_refuses_a_type_without_push_support(server: RunningServer) -> None:
    done = run_cli("work-pool", "create", "local", "--type", "process:push", env=server.env())
    assert done.returncode != 0
    assert "type" in done.stderr and "does not support push pools" in done.stderr


def test_a_push_pool_without_secrets_is_ready_with_ambient_credentials(
    http: httpx.Client,
) -> None:
    push_pool(http)
    pool = http.get("/work_pools/tasks").json()
    assert pool["status"] == "READY"
    assert pool["push"]["worker_type"] == "ecs"
    assert pool["push"]["installed"] is True
    assert pool["push"]["credentials"] == "ambient"


def test_a_missing_credentials_secret_makes_the_pool_not_ready_naming_it(
    server: RunningServer, http: httpx.Client
) -> None:
    created = create_push_pool(server, credentials="aws-prod")
    assert created.returncode == 0, created.stderr
    pool = cli_json("work-pool", "inspect", "tasks", env=server.env())
    assert pool["status"] == "NOT_READY"
    assert pool["push"]["credentials"] == "missing"
    assert pool["push"]["missing_secrets"] == ["aws-prod"]
    assert "aws-prod" in pool["push"]["reason"]
    assert pool["base_job_template"]["job_configuration"]["credentials"] == (
        "{{ secret('aws-prod') }}"
    )


def test_creating_the_named_secret_makes_the_pool_ready(
    server: RunningServer, http: httpx.Client
) -> None:
    create_push_pool(server, credentials="aws-prod")
    http.post(
        "/secrets", json={"name": "aws-prod", "kind": "aws", "value": '{"access_key_id": "a"}'}
    ).raise_for_status()
    pool = http.get("/work_pools/tasks").json()
    assert pool["status"] == "READY"
    assert pool["push"]["credentials"] == "resolved"


def test_a_paused_push_pool_is_paused(http: httpx.Client) -> None:
    push_pool(http, is_paused=True)
    assert http.get("/work_pools/tasks").json()["status"] == "PAUSED"


def test_the_server_serves_a_push_pool_as_its_replica(http: httpx.Client) -> None:
    push_pool(http)
    for _ in range(100):
        served = http.get("/work_pools/tasks").json()["push"]["served_by"]
        if served:
            break
        time.sleep(0.1)
    assert len(served) == 1


def test_a_worker_refuses_to_start_for_a_push_pool(
    server: RunningServer, http: httpx.Client
) -> None:
    push_pool(http)
    done = run_cli("worker", "start", "--pool", "tasks", "--run-once", env=server.env())
    assert done.returncode != 0
    assert "push pool" in done.stderr


def test_the_cli_refuses_a_credentials_secret_name_that_cannot_be_one(
    server: RunningServer,
) -> None:
    done = create_push_pool(server, credentials="no such")
    assert done.returncode != 0
    assert "--credentials" in done.stderr and "secret name" in done.stderr


def test_with_auth_on_the_replica_serves_a_push_pool_under_its_own_key(
    server_settings: Settings,
) -> None:
    from flowyard.server.db import Database
    from flowyard.testing.plugin import start_server, stop_server

    settings = server_settings.model_copy(update={"server_auth": True})
    Database(settings.resolved_database_url()).migrate()
    admin = insert_api_key(settings, "admin")
    running = start_server(settings)
    try:
        with httpx.Client(
            base_url=running.api_url, headers={"Authorization": f"Bearer {admin}"}
        ) as http:
            push_pool(http)
            deadline = time.monotonic() + 15
            while not http.get("/work_pools/tasks").json()["push"]["served_by"]:
                assert time.monotonic() < deadline, "no replica serves the pool"
                time.sleep(0.1)
    finally:
        stop_server(running)
    assert _push_key_names(settings) == [f"push@{replica_name(settings)}"]


def _push_key_names(settings: Settings) -> list[str]:
    import sqlalchemy as sa
    from flowyard.server import tables as t
    from flowyard.server.db import Database

    db = Database(settings.resolved_database_url())
    with db.read() as conn:
        names = conn.execute(sa.select(t.api_key.c.name, t.api_key.c.role)).all()
    db.dispose()
    return [n.name for n in names if n.name.startswith("push@") and n.role == "worker"]


def test_the_ui_pool_page_shows_the_push_status(server: RunningServer, http: httpx.Client) -> None:
    push_pool(http)
    page = httpx.get(f"{server.url}/pools/tasks", follow_redirects=True)
    assert page.status_code == 200, page.text
    assert "submitted by the server (ecs)" in page.text
    assert "Served by" in page.text and "flowyard worker start" not in page.text
