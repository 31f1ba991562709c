"""An ``ecs:push`` pool end to end with no worker process: the server resolves the pool's AWS
credentials secret in memory, builds its boto3 clients from it (the server has no AWS variables
of its own) and runs each task on moto; the fake's agent runs the task's container on the
Docker engine. Includes a SIGKILL of the server as a task starts, and a search for the secret's
value everywhere it must not be, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import push_steps as steps
import pytest
from flowyard_aws.run import started_by
from flowyard_fakes.ecs import FakeAws, MotoServer, fake_aws
from push_env import PushServer, postgres_url

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


def push_server(home: Path, database_url: str | None = None) -> PushServer:
    """A server with no AWS variables: credentials come from the secret, through the contract."""
    running = PushServer(home, database_url)
    for name in [k for k in running.env if k.startswith("AWS_")]:
        del running.env[name]
    return running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushServer]:
    with steps.serving(push_server(tmp_path_factory.mktemp("push-ecs"))) as running:
        yield running


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
    steps.create_push_pool(server, POOL, "ecs", secret, secret_name="aws-fake", kind="aws")
    return steps.deploy_flows(server, project, POOL, IMAGE, FAST, flows, build=build)


@pytest.fixture(scope="module")
def deployments(server: PushServer, aws: FakeAws, project: Path) -> Iterator[dict[str, str]]:
    with steps.image_removed(IMAGE):
        yield prepare(server, aws, project, list(steps.TUTORIAL_FLOWS), build=True)


@pytest.fixture(scope="module")
def pg_server(
    tmp_path_factory: pytest.TempPathFactory, aws: FakeAws, project: Path, deployments: object
) -> Iterator[tuple[PushServer, dict[str, str]]]:
    """A second server, on PostgreSQL, with the same secret and pool (the image is built)."""
    home = tmp_path_factory.mktemp("push-ecs-pg")
    with steps.serving(push_server(home, postgres_url())) as running:
        yield running, prepare(running, aws, project, ["environment"], build=False)


def tasks_of(aws: FakeAws, run_id: str) -> list[str]:
    """Every task moto started for the run (running or stopped)."""
    from flowyard.job import FlowRunInfo

    token = started_by(FlowRunInfo(id=run_id, name="x"))
    return list(aws.client("ecs").list_tasks(cluster="default", startedBy=token)["taskArns"])


def test_the_tutorial_flow_completes_submitted_by_the_server(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    run_id, _ = steps.run_tutorial(server, deployments["tutorial"], "ecs")
    assert len(tasks_of(aws, run_id)) == 1


def test_cancelling_a_running_push_run_stops_its_task(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    (arn,) = tasks_of(aws, steps.cancel_running(server, deployments["long_one"]))

    def task() -> dict[str, Any]:
        found: dict[str, Any] = aws.client("ecs").describe_tasks(cluster="default", tasks=[arn])
        return dict(found["tasks"][0])

    steps.wait_until(lambda: task()["lastStatus"] == "STOPPED", task)


def test_a_server_killed_as_a_task_starts_recovers_the_run_and_runs_one_task(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    started = partial(tasks_of, aws)
    run_id = steps.kill_once_started(
        server, deployments["tutorial"], started, "the server never ran the task"
    )
    steps.assert_recovered(server, run_id)
    assert len(tasks_of(aws, run_id)) == 1


def secret_found(server: PushServer, aws: FakeAws, deployment_id: str) -> list[str]:
    """Where the secret's value shows after a run of the ``environment`` flow."""
    run_id, places = steps.environment_run(server, POOL, deployment_id)
    (arn,) = tasks_of(aws, run_id)
    ecs = aws.client("ecs")
    task = ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0]
    definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
    places["the ECS task (overrides, tags)"] = json.dumps(task, default=str)
    places["the task definition"] = json.dumps(definition, default=str)
    return steps.showing(places, MARKER)


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
