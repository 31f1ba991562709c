"""An ``ecs:push`` pool end to end with no worker process: the server resolves the pool's AWS
credentials secret in memory, builds its boto3 clients from it (the server has no AWS variables
of its own) and runs each task on moto; the fake's agent runs the task's container on the
Docker engine. Includes a SIGKILL of the server as a task starts, and a search for the secret's
value everywhere it must not be, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flowyard_aws.run import started_by
from flowyard_fakes.ecs import FakeAws, MotoServer, fake_aws
from push_env import (
    PushServer,
    deploy,
    flowyard_image,
    postgres_url,
    secret_places,
    write_project,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

POOL = "tasks"
MARKER = "pushSecretValue" + uuid.uuid4().hex
IMAGE = f"flowyard-push-ecs-{uuid.uuid4().hex[:8]}:1"
FAST = {"task_watch_poll_interval": 0.3, "task_start_timeout_seconds": 60}


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAws]:
    moto = MotoServer(log_file=tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        with fake_aws(moto) as fake:
            yield fake
    finally:
        moto.stop()


def without_aws_variables(running: PushServer) -> PushServer:
    """The server has no AWS variables: credentials come from the secret, through the contract."""
    for name in [k for k in running.env if k.startswith("AWS_")]:
        del running.env[name]
    return running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushServer]:
    running = without_aws_variables(PushServer(tmp_path_factory.mktemp("push-ecs"))).start()
    yield running
    running.stop()


def prepare(
    server: PushServer, aws: FakeAws, project: Path, flows: list[str], *, build: bool
) -> dict[str, str]:
    """The tutorial steps: the AWS secret, the push pool naming it, the flows deployed to it."""
    secret = {
        "access_key_id": "AKIAPUSHTEST",
        "secret_access_key": MARKER,
        "region_name": aws.region_name,
        "endpoint_url": aws.endpoint_url,
    }
    made = server.cli("secret", "create", "aws-fake", "--kind", "aws", stdin=json.dumps(secret))
    assert made.returncode == 0, made.stderr
    created = server.cli(
        "work-pool", "create", POOL, "--type", "ecs:push", "--credentials", "aws-fake"
    )
    assert created.returncode == 0, created.stderr
    base = flowyard_image()
    return {
        flow: deploy(server, project, base, POOL, flow, IMAGE, FAST, build=build and i == 0)
        for i, flow in enumerate(flows)
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def deployments(server: PushServer, aws: FakeAws, project: Path) -> Iterator[dict[str, str]]:
    yield prepare(server, aws, project, ["tutorial", "long_one", "environment"], build=True)
    subprocess.run(["docker", "image", "rm", "-f", IMAGE], capture_output=True)


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory, aws: FakeAws, project: Path, deployments: object
) -> Iterator[tuple[PushServer, dict[str, str]]]:
    """A second server, on PostgreSQL, with the same secret and pool (the image is built)."""
    home = tmp_path_factory.mktemp("push-ecs-pg")
    running = without_aws_variables(PushServer(home, database_url=postgres_url())).start()
    yield running, prepare(running, aws, project, ["environment"], build=False)
    running.stop()


def tasks_of(aws: FakeAws, run_id: str) -> list[str]:
    """Every task moto started for the run (running or stopped)."""
    from flowyard.job import FlowRunInfo

    token = started_by(FlowRunInfo(id=run_id, name="x"))
    return list(aws.client("ecs").list_tasks(cluster="default", startedBy=token)["taskArns"])


def test_the_tutorial_flow_completes_submitted_by_the_server(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    run_id = server.run(deployments["tutorial"], name="ecs")
    run = server.wait_for(run_id)
    assert run["state_type"] == "COMPLETED", run
    assert "hello ecs, submitted by the server" in server.logs(run_id)
    assert run["worker_name"] == "push@replica-a"
    assert len(tasks_of(aws, run_id)) == 1


def test_cancelling_a_running_push_run_stops_its_task(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    run_id = server.run(deployments["long_one"])
    server.wait_for(run_id, frozenset({"RUNNING"}))
    assert server.http.post(f"/flow_runs/{run_id}/cancel").status_code == 200
    assert server.wait_for(run_id, timeout=60)["state_type"] == "CANCELLED"
    (arn,) = tasks_of(aws, run_id)
    deadline = time.monotonic() + 60
    while True:
        task = aws.client("ecs").describe_tasks(cluster="default", tasks=[arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            break
        assert time.monotonic() < deadline, task
        time.sleep(0.3)


def test_a_server_killed_as_a_task_starts_recovers_the_run_and_runs_one_task(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    run_id = server.run(deployments["tutorial"], name="again")
    deadline = time.monotonic() + 60
    while not tasks_of(aws, run_id):
        assert time.monotonic() < deadline, "the server never ran the task"
        time.sleep(0.05)
    server.kill()
    server.start()
    run = server.wait_for(run_id, timeout=120)
    assert run["state_type"] == "COMPLETED", run
    assert "hello again, submitted by the server" in server.logs(run_id)
    assert len(tasks_of(aws, run_id)) == 1


def secret_found(server: PushServer, aws: FakeAws, deployment_id: str) -> list[str]:
    """Where the secret's value shows after a run of the ``environment`` flow."""
    run_id = server.run(deployment_id)
    run = server.wait_for(run_id)
    assert run["state_type"] == "COMPLETED", run
    places = secret_places(server, POOL, run_id, deployment_id)
    (arn,) = tasks_of(aws, run_id)
    ecs = aws.client("ecs")
    task = ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0]
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
    places["the ECS task (overrides, tags)"] = json.dumps(task, default=str)
    places["the task definition"] = json.dumps(definition, default=str)
    return [where for where, text in places.items() if MARKER in text]


def test_the_secret_value_appears_nowhere(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    assert secret_found(server, aws, deployments["environment"]) == []


@pytest.mark.postgres
def test_the_secret_value_appears_nowhere_on_postgresql(
    pg_server: tuple[PushServer, dict[str, str]], aws: FakeAws
) -> None:
    server, deployments = pg_server
    assert secret_found(server, aws, deployments["environment"]) == []
