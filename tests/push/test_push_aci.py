"""An ``azure-container-instance:push`` pool end to end with no worker process: the server
creates each run's container group on the ACI fake (which runs the container on the Docker
engine) through the type's hooks. The server's credential is ambient (the fake's managed
identity endpoint): the fake issues no tokens for a client secret. Includes a SIGKILL of the
server as a group is created."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flowyard.job import base_job_template
from flowyard_azure.job import group_name
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes.azure_aci import AciFake
from push_env import PushServer, deploy, flowyard_image, write_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

POOL = "groups"
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"


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
        yield fake


@pytest.fixture(scope="module")
def server(aci: CountingAciFake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushServer]:
    running = PushServer(tmp_path_factory.mktemp("push-aci"), **aci.identity_env())
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"):
        running.env.pop(name, None)
    running.start()
    yield running
    running.stop()


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


@pytest.fixture(scope="module")
def deployments(
    server: PushServer, aci: CountingAciFake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    base = flowyard_image()
    template = tmp_path_factory.mktemp("template") / "template.json"
    template.write_text(json.dumps(pool_template(aci)))
    created = server.cli(
        "work-pool",
        "create",
        POOL,
        "--type",
        "azure-container-instance:push",
        "--base-job-template",
        str(template),
    )
    assert created.returncode == 0, created.stderr
    project = write_project(tmp_path_factory.mktemp("project"))
    image = f"flowyard-push-aci-{uuid.uuid4().hex[:8]}:1"
    ids = {
        flow: deploy(server, project, base, POOL, flow, image, {}, build=(i == 0))
        for i, flow in enumerate(["tutorial", "long_one"])
    }
    yield ids
    subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)


def groups_of(aci: AciFake, run_id: str) -> list[dict[str, Any]]:
    return [g for g in aci.groups() if g["name"].endswith(run_id.lower())]


def test_the_tutorial_flow_completes_submitted_by_the_server(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    run_id = server.run(deployments["tutorial"], name="aci")
    run = server.wait_for(run_id)
    assert run["state_type"] == "COMPLETED", run
    assert "hello aci, submitted by the server" in server.logs(run_id)
    assert run["worker_name"] == "push@replica-a"
    assert run["infrastructure_id"] == f"flows-rg:{group_name('tutorial', run_id)}" or run[
        "infrastructure_id"
    ].endswith(run_id.lower())
    assert aci.creations(run_id) == 1


def test_cancelling_a_running_push_run_removes_its_group(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    run_id = server.run(deployments["long_one"])
    server.wait_for(run_id, frozenset({"RUNNING"}))
    assert server.http.post(f"/flow_runs/{run_id}/cancel").status_code == 200
    assert server.wait_for(run_id, timeout=60)["state_type"] == "CANCELLED"
    deadline = time.monotonic() + 60
    while groups_of(aci, run_id):
        assert time.monotonic() < deadline, groups_of(aci, run_id)
        time.sleep(0.3)


def test_a_server_killed_as_a_group_starts_recovers_the_run_and_creates_one_group(
    server: PushServer, aci: CountingAciFake, deployments: dict[str, str]
) -> None:
    run_id = server.run(deployments["tutorial"], name="again")
    deadline = time.monotonic() + 60
    while not groups_of(aci, run_id):
        assert time.monotonic() < deadline, "the server never created the group"
        time.sleep(0.05)
    server.kill()
    server.start()
    run = server.wait_for(run_id, timeout=120)
    assert run["state_type"] == "COMPLETED", run
    assert "hello again, submitted by the server" in server.logs(run_id)
    assert aci.creations(run_id) == 1
