"""An ``azure-container-instance:push`` pool end to end with no worker process: the server
creates each run's container group on the ACI fake (which runs the container on the Docker
engine) through the type's hooks. The server has no Azure credential of its own: the pool's
``ClientSecretCredentials`` come from the secrets store, and azure-identity exchanges the client
secret for a token at the fake's Entra ID token endpoint. Includes a SIGKILL of the server as a
group is created and a search for the client secret everywhere it must not be, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import push_steps as steps
import pytest
from flowyard.job import base_job_template
from flowyard_azure.job import group_name
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes.azure_aci import AciFake
from push_env import PushServer, postgres_url

pytestmark = [pytest.mark.docker, pytest.mark.slow]

POOL = "groups"
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
TENANT = "00000000-0000-0000-0000-0000000000bb"
CLIENT_ID = "flowyard-push"
MARKER = "pushSecretValue" + uuid.uuid4().hex
IMAGE = f"flowyard-push-aci-{uuid.uuid4().hex[:8]}:1"
AZURE_VARIABLES = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET")


class CountingAciFake(AciFake):
    """The fake, counting container group creations per group name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.created: dict[str, int] = {}

    def create(self, key: tuple[str, str, str], body: dict[str, Any]) -> Any:
        self.created[key[2]] = self.created.get(key[2], 0) + 1
        return super().create(key, body)

    def creations(self, run_id: str) -> int:
        """How many times a group of ``run_id`` was created (PUT)."""
        return sum(n for name, n in self.created.items() if name.endswith(run_id.lower()))


@pytest.fixture(scope="module")
def aci(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountingAciFake]:
    with CountingAciFake(tmp_path_factory.mktemp("tls")) as fake:
        fake.add_client(TENANT, CLIENT_ID, MARKER)
        yield fake


def push_server(aci: AciFake, home: Path, database_url: str | None = None) -> PushServer:
    """A server trusting the fake's certificate, with no Azure credential of its own (no
    managed identity endpoint, no AZURE_* variables)."""
    running = PushServer(home, database_url, REQUESTS_CA_BUNDLE=str(aci.cert_path))
    for name in (*AZURE_VARIABLES, "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"):
        running.env.pop(name, None)
    return running


@pytest.fixture(scope="module")
def server(aci: CountingAciFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushServer]:
    with steps.serving(push_server(aci, tmp_path_factory.mktemp("push-aci"))) as running:
        yield running


def pool_template(fake: AciFake) -> dict[str, Any]:
    """The type's default template with the fake's endpoint, subscription and resource group."""
    template = base_job_template(AzureContainerInstanceVariables)
    properties = template["variables"]["properties"]
    defaults = {
        "arm_endpoint": fake.url,
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": "flows-rg",
        "task_watch_poll_interval": 0.5,
    }
    for key, value in defaults.items():
        properties[key]["default"] = value
    template["variables"]["required"] = []
    return template


def prepare(
    server: PushServer, aci: AciFake, project: Path, flows: list[str], *, build: bool
) -> dict[str, str]:
    """The tutorial steps: the client secret in the store, the push pool naming it (with the
    fake's endpoint in its template), the flows deployed to it."""
    secret = {
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": MARKER,
        "authority_host": aci.authority,
    }
    template = server.home / "template.json"
    template.write_text(json.dumps(pool_template(aci)))
    options = ("--base-job-template", str(template))
    steps.create_push_pool(
        server,
        POOL,
        "azure-container-instance",
        secret,
        secret_name="azure-fake",
        kind="azure",
        options=options,
    )
    return steps.deploy_flows(server, project, POOL, IMAGE, {}, flows, build=build)


@pytest.fixture(scope="module")
def deployments(
    server: PushServer, aci: CountingAciFake, project: Path
) -> Iterator[dict[str, str]]:
    with steps.image_removed(IMAGE):
        yield prepare(server, aci, project, list(steps.TUTORIAL_FLOWS), build=True)


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory,
    aci: CountingAciFake,
    project: Path,
    deployments: object,
) -> Iterator[tuple[PushServer, dict[str, str]]]:
    """A second server, on PostgreSQL, with the same secret and pool (the image is built)."""
    home = tmp_path_factory.mktemp("push-aci-pg")
    with steps.serving(push_server(aci, home, postgres_url())) as running:
        yield running, prepare(running, aci, project, ["environment"], build=False)


def groups_of(aci: AciFake, run_id: str) -> list[dict[str, Any]]:
    return [g for g in aci.groups() if g["name"].endswith(run_id.lower())]


def test_the_tutorial_flow_completes_submitted_by_the_server(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    run_id, run = steps.run_tutorial(server, deployments["tutorial"], "aci")
    assert run["infrastructure_id"] == f"flows-rg:{group_name('tutorial', run_id)}" or run[
        "infrastructure_id"
    ].endswith(run_id.lower())
    assert aci.creations(run_id) == 1


def test_the_server_gets_its_arm_token_with_the_client_secret_from_the_store(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    run = server.wait_for(server.run(deployments["tutorial"]))
    assert run["state_type"] == "COMPLETED", run
    assert aci.client_grants >= 1
    assert not [path for _, path in aci.requests if path == "/msi/token"]


def test_cancelling_a_running_push_run_removes_its_group(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    run_id = steps.cancel_running(server, deployments["long_one"])
    steps.wait_until(lambda: not groups_of(aci, run_id), lambda: groups_of(aci, run_id))


def test_a_server_killed_as_a_group_starts_recovers_the_run_and_creates_one_group(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    started = partial(groups_of, aci)
    run_id = steps.kill_once_started(
        server, deployments["tutorial"], started, "the server never created the group"
    )
    steps.assert_recovered(server, run_id)
    assert aci.creations(run_id) == 1


def secret_found(server: PushServer, aci: CountingAciFake, deployment_id: str) -> list[str]:
    """Where the client secret shows after a run of the ``environment`` flow."""
    run_id, places = steps.environment_run(server, POOL, deployment_id)
    (name,) = {n for n in aci.created if n.endswith(run_id.lower())}
    places["the container group sent to ARM"] = json.dumps(aci.stored_body(name))
    places["the container group as ARM shows it"] = json.dumps(groups_of(aci, run_id))
    return steps.showing(places, MARKER)


def test_the_secret_value_appears_nowhere(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    assert secret_found(server, aci, deployments["environment"]) == []


@pytest.mark.postgres
def test_the_secret_value_appears_nowhere_on_postgresql(
    pg_server: tuple[PushServer, dict[str, str]], aci: CountingAciFake
) -> None:
    server, deployments = pg_server
    assert secret_found(server, aci, deployments["environment"]) == []
