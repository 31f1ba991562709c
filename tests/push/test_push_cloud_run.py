"""A ``cloud-run:push`` pool end to end with no worker process: the server claims each run,
resolves the pool's credentials secret in memory and submits the job to the Cloud Run fake
through the cloud-run type's hooks; the fake runs the job's container on the Docker engine (host
network, so the flow reaches the loopback server). The secret is a real service-account key
(RSA) whose ``token_uri`` is the fake's; the fake requires its credentials on every call, so
the server authenticates through google-auth with the key from the store. Includes a SIGKILL
of the server mid-submit and a search for the key everywhere it must not be, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import push_steps as steps
import pytest
from flowyard_fakes.cloud_run import CloudRunFake
from push_env import PushServer, postgres_url

pytestmark = [pytest.mark.docker, pytest.mark.slow]

POOL = "runs"
IMAGE = f"flowyard-push-cloud-run-{uuid.uuid4().hex[:8]}:1"


class CountingCloudRunFake(CloudRunFake):
    """The fake, counting job creations and runs per job id; it can hold a create's answer."""

    def __init__(self) -> None:
        super().__init__()
        self.created: dict[str, int] = {}
        self.bodies: list[Any] = []  # every job as the client sent it
        self.runs: dict[str, int] = {}
        self.create_seen = threading.Event()
        self.hold_create_seconds = 0.0

    def _create_job(self, m: re.Match[str], body: Any, query: dict[str, str]) -> Any:
        self.bodies.append(body)
        answer = super()._create_job(m, body, query)
        job_id = query.get("jobId", "")
        self.created[job_id] = self.created.get(job_id, 0) + 1
        self.create_seen.set()
        time.sleep(self.hold_create_seconds)  # the submitter is "mid-submit" meanwhile
        return answer

    def _run_job(self, m: re.Match[str], body: Any, query: dict[str, str]) -> Any:
        job_id = m.group(1).rsplit("/", 1)[-1]
        self.runs[job_id] = self.runs.get(job_id, 0) + 1
        return super()._run_job(m, body, query)

    def counts_for(self, run_id: str) -> tuple[int, int]:
        """(creations, runs) of the job named from ``run_id``."""
        from flowyard_gcp.common import resource_id

        created = [k for k in self.created if k.endswith(resource_id("x", key=run_id)[-8:])]
        assert len(created) <= 1, created
        key = created[0] if created else ""
        return self.created.get(key, 0), self.runs.get(key, 0)


@pytest.fixture(scope="module")
def fake() -> Iterator[CountingCloudRunFake]:
    """The fake, requiring a service account's credentials on every API call."""
    with CountingCloudRunFake() as server:
        server.require_auth = True
        yield server


@pytest.fixture(scope="module")
def key(fake: CountingCloudRunFake) -> dict[str, str]:
    """A service-account JSON key (a real RSA key) the fake trusts; ``token_uri`` is the fake's."""
    return fake.service_account_key("proj-1", "flowyard-push")


@pytest.fixture(scope="module")
def marker(key: dict[str, str]) -> str:
    """A line of the key's private part: what must never show anywhere."""
    lines = key["private_key"].splitlines()
    return lines[len(lines) // 2]


def push_server(home: Path, database_url: str | None = None) -> PushServer:
    """A server with no Google credentials of its own: the key comes from the secret."""
    running = PushServer(home, database_url)
    running.env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    return running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushServer]:
    with steps.serving(push_server(tmp_path_factory.mktemp("push-cloud-run"))) as running:
        yield running


def prepare(
    server: PushServer,
    fake: CountingCloudRunFake,
    key: dict[str, str],
    project: Path,
    flows: list[str],
    *,
    build: bool,
) -> dict[str, str]:
    """The tutorial steps: the key as a secret, the push pool naming it, the flows deployed."""
    steps.create_push_pool(server, POOL, "cloud-run", key, secret_name="gcp-fake", kind="gcp")
    variables = {"api_endpoint": fake.endpoint, "poll_interval_seconds": 0.5}
    return steps.deploy_flows(server, project, POOL, IMAGE, variables, flows, build=build)


@pytest.fixture(scope="module")
def deployments(
    server: PushServer, fake: CountingCloudRunFake, key: dict[str, str], project: Path
) -> Iterator[dict[str, str]]:
    with steps.image_removed(IMAGE):
        yield prepare(server, fake, key, project, list(steps.TUTORIAL_FLOWS), build=True)


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory,
    fake: CountingCloudRunFake,
    key: dict[str, str],
    project: Path,
    deployments: object,
) -> Iterator[tuple[PushServer, dict[str, str]]]:
    """A second server, on PostgreSQL, with the same secret and pool (the image is built)."""
    home = tmp_path_factory.mktemp("push-cloud-run-pg")
    with steps.serving(push_server(home, postgres_url())) as running:
        yield running, prepare(running, fake, key, project, ["environment"], build=False)


def test_the_tutorial_flow_completes_submitted_by_the_server(
    server: PushServer, fake: CountingCloudRunFake, deployments: dict[str, str]
) -> None:
    run_id, run = steps.run_tutorial(server, deployments["tutorial"], "cloud")
    assert run["infrastructure_id"].startswith("projects/proj-1/locations/us-central1/jobs/")
    assert fake.counts_for(run_id) == (1, 1)


def test_the_server_calls_cloud_run_as_the_secret_s_service_account(
    server: PushServer, fake: CountingCloudRunFake, deployments: dict[str, str]
) -> None:
    fake.callers.clear()
    server.wait_for(server.run(deployments["tutorial"]))
    assert fake.callers, "the server made no authenticated call"
    assert set(fake.callers) == {"flowyard-push@proj-1.iam.gserviceaccount.com"}


def test_inspect_shows_the_replica_serving_the_pool_and_its_last_submit(
    server: PushServer, deployments: dict[str, str]
) -> None:
    server.wait_for(server.run(deployments["tutorial"]))
    shown = server.cli("work-pool", "inspect", POOL, "--output", "json")
    pool = json.loads(shown.stdout)
    assert pool["status"] == "READY"
    assert pool["push"]["served_by"] == ["replica-a"]
    assert pool["push"]["credentials"] == "resolved"
    assert pool["push"]["last_submit"] is not None


def test_cancelling_a_running_push_run_stops_its_job(
    server: PushServer, fake: CountingCloudRunFake, deployments: dict[str, str]
) -> None:
    steps.cancel_running(server, deployments["long_one"])


def test_a_server_killed_mid_submit_recovers_the_run_and_submits_it_once(
    server: PushServer, fake: CountingCloudRunFake, deployments: dict[str, str]
) -> None:
    fake.create_seen.clear()
    fake.hold_create_seconds = 3.0
    run_id = server.run(deployments["tutorial"], name="again")
    try:
        assert fake.create_seen.wait(60), "the server never created the job"
        server.kill()  # the job exists; the submitter never heard back nor ran it
    finally:
        fake.hold_create_seconds = 0.0
    steps.assert_recovered(server, run_id)
    assert fake.counts_for(run_id) == (1, 1)


def secret_found(
    server: PushServer, fake: CountingCloudRunFake, marker: str, deployment_id: str
) -> list[str]:
    """Where the key's private part shows after a run of the ``environment`` flow."""
    _, places = steps.environment_run(server, POOL, deployment_id)
    places["the jobs sent to Cloud Run"] = json.dumps(fake.bodies)
    places["Cloud Run's jobs and executions"] = json.dumps([fake.jobs(), fake.executions()])
    return steps.showing(places, marker)


def test_the_secret_value_appears_nowhere(
    server: PushServer, fake: CountingCloudRunFake, marker: str, deployments: dict[str, str]
) -> None:
    assert secret_found(server, fake, marker, deployments["environment"]) == []


@pytest.mark.postgres
def test_the_secret_value_appears_nowhere_on_postgresql(
    pg_server: tuple[PushServer, dict[str, str]], fake: CountingCloudRunFake, marker: str
) -> None:
    server, deployments = pg_server
    assert secret_found(server, fake, marker, deployments["environment"]) == []
