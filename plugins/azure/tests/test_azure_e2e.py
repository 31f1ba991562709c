"""The azure-container-instance worker end to end: a real server, `flowyard worker start` as a
subprocess talking to the ACI fake through the official client over TLS (DefaultAzureCredential
gets its token from the fake's managed-identity endpoint; REQUESTS_CA_BUNDLE trusts its
certificate), deployment images built on the real Docker engine, each flow run in a container the
fake starts for the container group (in the host network, so it reaches the loopback server).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aci_env import SUBSCRIPTION, aci, flowyard_image
from flowyard.job import base_job_template
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import WorkerProcess, start_worker
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes.azure_aci import AciFake

pytestmark = [pytest.mark.docker, pytest.mark.slow, SQLITE_ONLY]
__all__ = ["aci"]

FLOWS = """
import time
from flowyard import flow

@flow(log_prints=True)
def tutorial(name: str = "azure") -> str:
    print(f"hello {name} from a container group")
    return name

@flow(log_prints=True)
def long_one(seconds: float = 120) -> None:
    print("started", flush=True)
    time.sleep(seconds)
"""

FINAL = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@pytest.fixture(scope="module")
def base_image() -> str:
    return flowyard_image()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "flows.py").write_text(FLOWS)
    return root


@pytest.fixture(scope="module")
def image_tag(base_image: str) -> Iterator[str]:
    tag = f"flowyard-aci-e2e-{uuid.uuid4().hex[:8]}:1"
    yield tag
    subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)


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
def aci_pool(server: RunningServer, aci: AciFake, tmp_path: Path) -> Iterator[dict[str, Any]]:
    template = tmp_path / "template.json"
    template.write_text(json.dumps(pool_template(aci)))
    created = run_cli(
        "work-pool",
        "create",
        "aci",
        "--type",
        "azure-container-instance",
        "--base-job-template",
        str(template),
        env=server.env(),
    )
    assert created.returncode == 0, created.stderr
    workers: list[WorkerProcess] = []

    def start(log_name: str = "worker.log") -> WorkerProcess:
        worker = start_worker(
            server,
            "--pool",
            "aci",
            log=tmp_path / log_name,
            FLOWYARD_WORKER_KILL_GRACE_SECONDS="2",
            **aci.identity_env(),
        )
        workers.append(worker)
        return worker

    yield {"start": start, "workers": workers}
    for worker in workers:
        worker.stop(timeout=60)


def deploy(
    server: RunningServer, project: Path, base_image: str, flow: str, image: str, **variables: Any
) -> None:
    code = (
        f"from flows import {flow}\n"
        f"{flow}.deploy('dev', work_pool_name='aci', image={image!r}, job_variables={variables!r})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=server.env(FLOWYARD_DOCKER_BASE_IMAGE=base_image),
    )
    assert done.returncode == 0, done.stderr


def wait_for(
    http: httpx.Client, run_id: str, states: frozenset[str] = FINAL, timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = http.get(f"/flow_runs/{run_id}").json()
        if run["state_type"] in states:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.2)


def logs(http: httpx.Client, run_id: str) -> str:
    return "\n".join(line["message"] for line in http.get(f"/flow_runs/{run_id}/logs").json())


def test_the_tutorial_flow_runs_in_a_container_group_and_completes_with_its_logs(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci: AciFake,
    aci_pool: dict[str, Any],
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag)
    aci_pool["start"]()

    watched = run_cli(
        "deployment", "run", "tutorial/dev", "--param", "name=ann", "--watch", env=server.env()
    )

    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "finished: Completed" in watched.stdout
    assert "hello ann from a container group" in watched.stdout
    run_id = re.search(r"Created flow run \S+ \(([0-9a-f-]+)\)", watched.stdout).group(1)  # type: ignore[union-attr]
    run = http.get(f"/flow_runs/{run_id}").json()
    assert run["state_type"] == "COMPLETED"
    assert "hello ann from a container group" in logs(http, run["id"])
    resource_group, group = run["infrastructure_id"].split(":")
    assert resource_group == "flows-rg" and group.endswith(run["id"])
    puts = [p for m, p in aci.requests if m == "PUT"]
    assert len(puts) == 1 and puts[0].endswith(f"/containerGroups/{group}")
    aci_pool["workers"][0].wait_for_output("hello ann from a container group")  # stream_output
    deadline = time.monotonic() + 15  # the group is deleted once the container has exited
    while aci.groups() or aci.container_ids():
        assert time.monotonic() < deadline, aci.groups()
        time.sleep(0.2)


def test_cancelling_deletes_the_group_and_its_container(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci: AciFake,
    aci_pool: dict[str, Any],
) -> None:
    deploy(server, project, base_image, "long_one", image_tag)
    aci_pool["start"]()
    run = cli_json("deployment", "run", "long-one/dev", env=server.env())
    wait_for(http, run["id"], frozenset({"RUNNING"}))
    assert aci.container_ids()

    started = time.monotonic()
    assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0

    assert wait_for(http, run["id"], timeout=30)["state_type"] == "CANCELLED"
    deadline = started + 2 + 15  # grace period + slack for the engine's own shutdown
    while aci.groups() or aci.container_ids():
        assert time.monotonic() < deadline, aci.groups()
        time.sleep(0.2)


def test_a_failing_command_ends_crashed_with_the_exit_explained(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci_pool: dict[str, Any],
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag, command="sh -c 'exit 7'")
    aci_pool["start"]()

    run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
    final = wait_for(http, run["id"], timeout=60)

    assert final["state_type"] == "CRASHED", final
    assert "exited with code 7 (Error)" in final["state_message"]


def test_a_missing_image_ends_crashed_naming_the_image(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    aci_pool: dict[str, Any],
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag)
    aci_pool["start"]()

    run = cli_json(
        "deployment",
        "run",
        "tutorial/dev",
        "-jv",
        "image=registry.example/flows:missing",
        env=server.env(),
    )
    final = wait_for(http, run["id"], timeout=60)

    assert final["state_type"] == "CRASHED", final
    assert "'registry.example/flows:missing'" in final["state_message"]
    assert "InaccessibleImage" in final["state_message"]
