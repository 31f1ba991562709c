"""The azure-container-instance worker end to end: a real server, `flowyard worker start` as a
subprocess talking to the ACI fake through the official client over TLS (DefaultAzureCredential
gets its token from the fake's managed-identity endpoint; REQUESTS_CA_BUNDLE trusts its
certificate), deployment images built on the real Docker engine, each flow run in a container the
fake starts for the container group (in the host network, so it reaches the loopback server).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aci_env import SUBSCRIPTION, aci, flowyard_image
from flowyard.job import base_job_template
from flowyard.testing import e2e
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes.azure_aci import AciFake

pytestmark = [pytest.mark.docker, pytest.mark.slow, SQLITE_ONLY]
__all__ = ["aci"]

FLOWS = e2e.tutorial_flows("azure", "from a container group")


@pytest.fixture(scope="module")
def base_image() -> str:
    return flowyard_image()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return e2e.flow_project(tmp_path, FLOWS)


@pytest.fixture(scope="module")
def image_tag(base_image: str) -> Iterator[str]:
    with e2e.throwaway_image_tag("flowyard-aci-e2e") as tag:
        yield tag


def pool_template(fake: AciFake) -> dict[str, Any]:
    """The default template with the fake's endpoint, a subscription and a resource group."""
    template = base_job_template(AzureContainerInstanceVariables)
    properties = template["variables"]["properties"]
    defaults = {
        "arm_endpoint": fake.url,
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": "flows-rg",
        "task_watch_poll_interval": 0.5,
        "stream_output": True,
    }
    for key, value in defaults.items():
        properties[key]["default"] = value
    template["variables"]["required"] = []
    return template


@pytest.fixture
def aci_pool(server: RunningServer, aci: AciFake, tmp_path: Path) -> Iterator[e2e.PoolWorkers]:
    """The pool ``aci`` with the fake's template; each test starts its workers."""
    with e2e.pool_workers(
        server,
        "aci",
        "azure-container-instance",
        directory=tmp_path,
        base_job_template=pool_template(aci),
        FLOWYARD_WORKER_KILL_GRACE_SECONDS="2",
        **aci.identity_env(),
    ) as pool:
        yield pool


def deploy(
    server: RunningServer, project: Path, base_image: str, flow: str, image: str, **variables: Any
) -> None:
    done = e2e.deploy(
        server,
        project,
        flow,
        work_pool="aci",
        image=image,
        job_variables=variables,
        base_image=base_image,
    )
    assert done.returncode == 0, done.stderr


def groups_gone(aci: AciFake) -> bool:
    """The fake holds no container group and runs no container."""
    return not (aci.groups() or aci.container_ids())


def test_the_tutorial_flow_runs_in_a_container_group_and_completes_with_its_logs(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci: AciFake,
    aci_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag)
    aci_pool.start()

    output, run = e2e.watch_deployment_run(server, http, "tutorial/dev", "--param", "name=ann")

    assert "hello ann from a container group" in output
    assert run["state_type"] == "COMPLETED"
    assert "hello ann from a container group" in e2e.run_logs(http, run["id"])
    resource_group, group = run["infrastructure_id"].split(":")
    assert resource_group == "flows-rg" and group.endswith(run["id"])
    puts = [p for m, p in aci.requests if m == "PUT"]
    assert len(puts) == 1 and puts[0].endswith(f"/containerGroups/{group}")
    aci_pool.workers[0].wait_for_output("hello ann from a container group")  # stream_output
    e2e.wait_until(lambda: groups_gone(aci), 15, aci.groups)  # deleted once the container exited


def test_cancelling_deletes_the_group_and_its_container(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci: AciFake,
    aci_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "long_one", image_tag)
    aci_pool.start()
    run = cli_json("deployment", "run", "long-one/dev", env=server.env())
    e2e.wait_for_state(http, run["id"], frozenset({"RUNNING"}))
    assert aci.container_ids()

    started = time.monotonic()
    assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0

    assert e2e.wait_for_state(http, run["id"], timeout=30)["state_type"] == "CANCELLED"
    grace_and_slack = started + 2 + 15 - time.monotonic()  # + the engine's own shutdown
    e2e.wait_until(lambda: groups_gone(aci), grace_and_slack, aci.groups)


def test_a_failing_command_ends_crashed_with_the_exit_explained(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag, command="sh -c 'exit 7'")
    aci_pool.start()

    run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
    final = e2e.wait_for_state(http, run["id"], timeout=60)

    assert final["state_type"] == "CRASHED", final
    assert "exited with code 7 (Error)" in final["state_message"]


def test_a_missing_image_ends_crashed_naming_the_image(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag)
    aci_pool.start()

    run = cli_json(
        "deployment",
        "run",
        "tutorial/dev",
        "-jv",
        "image=registry.example/flows:missing",
        env=server.env(),
    )
    final = e2e.wait_for_state(http, run["id"], timeout=60)

    assert final["state_type"] == "CRASHED", final
    assert "'registry.example/flows:missing'" in final["state_message"]
    assert "InaccessibleImage" in final["state_message"]
