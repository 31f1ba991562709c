"""The cloud-run and vertex-ai workers end to end: a real server, `flowyard worker start` as a
subprocess talking to the Cloud Run / Vertex AI fakes through the official clients, deployment
images built on the real Docker engine, each flow run in a container the fake starts.

The fakes run containers in the host network, so a flow reaches the loopback server as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flowyard.testing import e2e
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import WorkerProcess
from flowyard_fakes.cloud_run import CloudRunFake
from flowyard_fakes.vertex import VertexFake
from gcp_env import ANONYMOUS, flowyard_image

pytestmark = [pytest.mark.docker, pytest.mark.slow, SQLITE_ONLY]

FLOWS = e2e.tutorial_flows("gcp", "from the cloud")

Fake = CloudRunFake | VertexFake


@pytest.fixture(scope="module")
def base_image() -> str:
    return flowyard_image()


@pytest.fixture(params=["cloud-run", "vertex-ai"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(kind: str) -> Iterator[Fake]:
    with CloudRunFake() if kind == "cloud-run" else VertexFake() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return e2e.flow_project(tmp_path, FLOWS)


@pytest.fixture(scope="module")
def image_tag(base_image: str) -> Iterator[str]:
    with e2e.throwaway_image_tag("flowyard-gcp-e2e") as tag:
        yield tag


@pytest.fixture
def pool(server: RunningServer, kind: str, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """The pool ``gcp`` of the type under test, with one worker started."""
    with e2e.pool_workers(
        server, "gcp", kind, directory=tmp_path, FLOWYARD_WORKER_KILL_GRACE_SECONDS="2"
    ) as workers:
        workers.start()
        yield workers.workers


def deploy(
    server: RunningServer, project: Path, base_image: str, fake: Fake, flow: str, image: str
) -> None:
    variables = {
        "api_endpoint": fake.endpoint,
        "credentials": ANONYMOUS,
        "poll_interval_seconds": 0.5,
    }
    done = e2e.deploy(
        server,
        project,
        flow,
        work_pool="gcp",
        image=image,
        job_variables=variables,
        base_image=base_image,
    )
    assert done.returncode == 0, done.stderr


def jobs_gone(fake: Fake) -> bool:
    """The fake holds no job and runs no container."""
    return not (fake.jobs() or fake.container_ids())


def test_the_tutorial_flow_runs_in_the_cloud_job_and_completes_with_its_logs(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    fake: Fake,
    pool: list[WorkerProcess],
) -> None:
    deploy(server, project, base_image, fake, "tutorial", image_tag)

    output, run = e2e.watch_deployment_run(server, http, "tutorial/dev", "--param", "name=ann")

    assert "hello ann from the cloud" in output
    assert run["state_type"] == "COMPLETED"
    assert "hello ann from the cloud" in e2e.run_logs(http, run["id"])
    assert run["infrastructure_id"].startswith("projects/proj-1/locations/us-central1/")
    e2e.wait_until(lambda: jobs_gone(fake), 30, fake.jobs)  # deleted when done (keep_job false)


def test_cancelling_removes_the_job_and_its_container(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    fake: Fake,
    pool: list[WorkerProcess],
) -> None:
    deploy(server, project, base_image, fake, "long_one", image_tag)
    run = cli_json("deployment", "run", "long-one/dev", env=server.env())
    e2e.wait_for_state(http, run["id"], frozenset({"RUNNING"}))
    assert fake.container_ids()

    assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0

    assert e2e.wait_for_state(http, run["id"], timeout=30)["state_type"] == "CANCELLED"
    e2e.wait_until(lambda: jobs_gone(fake), 30, fake.jobs)


def test_a_failing_command_ends_crashed_with_the_exit_explained(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    fake: Fake,
    pool: list[WorkerProcess],
) -> None:
    deploy(server, project, base_image, fake, "tutorial", image_tag)

    run = cli_json(
        "deployment",
        "run",
        "tutorial/dev",
        "-jv",
        "command=python -c 'import sys; sys.exit(7)'",
        env=server.env(),
    )
    final = e2e.wait_for_state(http, run["id"], timeout=90)

    assert final["state_type"] == "CRASHED", final
    assert re.search(r"exit code 7|non-zero status of 7", final["state_message"]), final


def test_an_image_that_does_not_exist_ends_crashed_naming_it(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    fake: Fake,
    pool: list[WorkerProcess],
) -> None:
    deploy(server, project, base_image, fake, "tutorial", image_tag)

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
    assert "registry.example/flows:missing" in final["state_message"]
