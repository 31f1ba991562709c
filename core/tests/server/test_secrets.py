"""The secrets store: encrypted at rest, values never answered, admins write, workers read only
what their pool's template names, a server without a key refuses writes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from flowyard.schemas.pools import WorkPoolCreate
from flowyard.schemas.secrets import SecretCreate
from flowyard.server import tables as t
from flowyard.server.db import Database
from flowyard.server.errors import Forbidden
from flowyard.server.secret_cipher import SecretCipher, generate_key
from flowyard.server.services.pools import create_pool
from flowyard.server.services.secrets import create_secret, referenced_secrets, reveal_for_pool
from flowyard.settings import Settings
from flowyard.testing.plugin import RunningServer, start_server, stop_server
from pydantic import SecretStr
from server_keys import add_key

VALUE = "AKIA-very-secret-value-7f3e9"
ROLES = ("admin", "worker", "deployer", "read-only")
TEMPLATE = {
    "job_configuration": {
        "command": "{{ command }}",
        "env": {"TOKEN": "{{ secret('api-token') }}"},
    },
    "variables": {"type": "object", "properties": {"command": {"type": "string"}}},
}


@pytest.fixture
def secure_server(server_settings: Settings) -> Iterator[RunningServer]:
    settings = server_settings.model_copy(
        update={"server_auth": True, "server_secrets_key": SecretStr(generate_key())}
    )
    running = start_server(settings)
    yield running
    stop_server(running)


@pytest.fixture
def keys(secure_server: RunningServer) -> dict[str, str]:
    return {role: add_key(secure_server.settings, role) for role in ROLES}


def as_role(server: RunningServer, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def create(server: RunningServer, admin_key: str, name: str = "aws-prod") -> None:
    with as_role(server, admin_key) as admin:
        response = admin.post("/secrets", json={"name": name, "kind": "aws", "value": VALUE})
        assert response.status_code == 201, response.text


def test_admin_creates_lists_rotates_and_deletes_without_any_answer_holding_the_value(
    secure_server: RunningServer, keys: dict[str, str]
) -> None:
    with as_role(secure_server, keys["admin"]) as admin:
        created = admin.post("/secrets", json={"name": "aws-prod", "kind": "aws", "value": VALUE})
        listed = admin.get("/secrets")
        rotated = admin.put("/secrets/aws-prod", json={"value": VALUE + "-2"})
        deleted = admin.delete("/secrets/aws-prod")
        after = admin.get("/secrets")
    assert created.status_code == 201 and created.json()["kind"] == "aws"
    assert [s["name"] for s in listed.json()] == ["aws-prod"]
    assert rotated.status_code == 200 and rotated.json()["rotated"] is not None
    assert deleted.status_code == 204 and after.json() == []
    for response in (created, listed, rotated):
        assert VALUE not in response.text


def test_a_taken_name_is_a_conflict(secure_server: RunningServer, keys: dict[str, str]) -> None:
    create(secure_server, keys["admin"])
    with as_role(secure_server, keys["admin"]) as admin:
        again = admin.post("/secrets", json={"name": "aws-prod", "kind": "aws", "value": "x"})
    assert again.status_code == 409 and "rotate" in again.json()["detail"]


def test_values_are_encrypted_at_rest(secure_server: RunningServer, keys: dict[str, str]) -> None:
    create(secure_server, keys["admin"])
    db = Database(secure_server.settings.resolved_database_url())
    with db.read() as conn:
        stored = conn.execute(sa.select(t.secret.c.ciphertext)).scalar_one()
    db.dispose()
    assert VALUE not in stored and VALUE.encode().hex() not in stored


@pytest.mark.parametrize("role", ["worker", "deployer", "read-only"])
def test_only_admins_create_rotate_delete_or_reveal(
    secure_server: RunningServer, keys: dict[str, str], role: str
) -> None:
    create(secure_server, keys["admin"])
    with as_role(secure_server, keys[role]) as other:
        assert other.post("/secrets", json={"name": "x", "value": "y"}).status_code == 403
        assert other.put("/secrets/aws-prod", json={"value": "y"}).status_code == 403
        assert other.delete("/secrets/aws-prod").status_code == 403
        assert other.get("/secrets").status_code == 200  # names only


def test_a_worker_reads_only_the_secrets_its_pools_template_names(
    secure_server: RunningServer, keys: dict[str, str]
) -> None:
    create(secure_server, keys["admin"], "api-token")
    create(secure_server, keys["admin"], "other")
    with as_role(secure_server, keys["admin"]) as admin:
        pool = {"name": "p", "type": "process", "base_job_template": TEMPLATE}
        assert admin.post("/work_pools", json=pool).status_code == 201, "pool"
    with as_role(secure_server, keys["worker"]) as worker:
        named = worker.get("/work_pools/p/secrets/api-token")
        unnamed = worker.get("/work_pools/p/secrets/other")
    assert named.status_code == 200 and named.json()["value"] == VALUE
    assert unnamed.status_code == 403 and "does not name" in unnamed.json()["detail"]


@pytest.mark.parametrize("role", ["deployer", "read-only"])
def test_neither_deployers_nor_readers_reveal_a_value(
    secure_server: RunningServer, keys: dict[str, str], role: str
) -> None:
    create(secure_server, keys["admin"], "api-token")
    with as_role(secure_server, keys["admin"]) as admin:
        pool = {"name": "p", "type": "process", "base_job_template": TEMPLATE}
        assert admin.post("/work_pools", json=pool).status_code == 201
    with as_role(secure_server, keys[role]) as other:
        assert other.get("/work_pools/p/secrets/api-token").status_code == 403


def test_a_server_without_a_key_refuses_secret_writes(server: RunningServer) -> None:
    with httpx.Client(base_url=server.api_url, timeout=30) as http:
        response = http.post("/secrets", json={"name": "x", "kind": "generic", "value": VALUE})
    assert response.status_code == 422
    assert "FLOWYARD_SERVER_SECRETS_KEY" in response.json()["detail"]


def test_the_value_is_never_logged(
    secure_server: RunningServer, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    create(secure_server, keys["admin"])
    with as_role(secure_server, keys["admin"]) as admin:
        admin.put("/secrets/aws-prod", json={"value": VALUE})
    assert VALUE not in caplog.text


def test_cli_reads_the_value_from_stdin_and_lists_no_value(
    secure_server: RunningServer, keys: dict[str, str]
) -> None:
    env = {
        **os.environ,
        "FLOWYARD_API_URL": secure_server.api_url,
        "FLOWYARD_API_KEY": keys["admin"],
    }

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flowyard.cli", "secret", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    created = cli("create", "gcp-sa", "--kind", "gcp", stdin=VALUE + "\n")
    listed = cli("ls", "--output", "json")
    rotated = cli("rotate", "gcp-sa", stdin="new")
    empty = cli("create", "empty")
    assert created.returncode == 0, created.stderr
    assert '"gcp-sa"' in listed.stdout and VALUE not in listed.stdout
    assert rotated.returncode == 0, rotated.stderr
    assert empty.returncode == 1 and "stdin" in empty.stderr


def test_a_template_names_secrets_with_either_quote_anywhere() -> None:
    template = {"a": "{{ secret('api-token') }}", "b": ['x-{{ secret("x.y") }}', 3, None]}
    assert referenced_secrets(template) == {"api-token", "x.y"}


def test_a_pools_worker_gets_only_the_secrets_its_template_names_however_many_it_asks_for(
    tmp_path: Path,
) -> None:
    """What both a pull worker's request and a push pool's in-server submitter go through."""
    db = Database(f"sqlite:///{tmp_path / 'secrets.db'}")
    db.migrate()
    cipher = SecretCipher(generate_key())
    with db.write() as conn:
        create_pool(conn, WorkPoolCreate(name="p", type="process", base_job_template=TEMPLATE))
        for name in ("api-token", "other", "third"):
            create_secret(conn, cipher, SecretCreate(name=name, value=SecretStr(VALUE)))
    with db.read() as conn:
        named = reveal_for_pool(conn, cipher, "p", {"api-token"})
        with pytest.raises(Forbidden) as refused:
            reveal_for_pool(conn, cipher, "p", {"api-token", "third", "other"})
        unrestricted = reveal_for_pool(conn, cipher, "p", {"other"}, unrestricted=True)
    db.dispose()
    assert named["api-token"].value == VALUE
    assert "does not name secret(s) 'other', 'third'" in str(refused.value)
    assert unrestricted["other"].value == VALUE
