"""An ``ecs:push`` pool end to end with no worker process: the server resolves the pool's AWS
credentials secret in memory, builds its boto3 clients from it (the server has no AWS variables
of its own) and runs each task on moto; the fake's agent runs the task's container on the
Docker engine. Includes a SIGKILL of the server as a task starts, and a search for the secret's
value everywhere it must not be."""

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
from push_env import PushServer, deploy, flowyard_image, write_project

pytestmark = [pytest.mark.docker, pytest.mark.slow]

POOL = "tasks"
MARKER = "pushSecretValue" + uuid.uuid4().hex
FAST = {"task_watch_poll_interval": 0.3, "task_start_timeout_seconds": 60}


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAws]:
    moto = MotoServer(log_file=tmp_path_factory.mktemp("moto") / "moto.log").start()
    try:
        with fake_aws(moto) as fake:
            yield fake
    finally:
        moto.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushServer]:
    running = PushServer(tmp_path_factory.mktemp("push-ecs"))
    for name in [k for k in running.env if k.startswith("AWS_")]:
        del running.env[name]  # credentials come from the secret, through the contract only
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def deployments(
    server: PushServer, aws: FakeAws, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The tutorial steps: the AWS secret, the push pool naming it, the flows deployed to it."""
    base = flowyard_image()
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
    project = write_project(tmp_path_factory.mktemp("project"))
    image = f"flowyard-push-ecs-{uuid.uuid4().hex[:8]}:1"
    ids = {
        flow: deploy(server, project, base, POOL, flow, image, FAST, build=(i == 0))
        for i, flow in enumerate(["tutorial", "long_one", "environment"])
    }
    yield ids
    subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)


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


def test_the_secret_value_appears_nowhere(
    server: PushServer, aws: FakeAws, deployments: dict[str, str]
) -> None:
    run_id = server.run(deployments["environment"])
    run = server.wait_for(run_id)
    assert run["state_type"] == "COMPLETED", run
    logs = server.logs(run_id)
    assert "FLOWYARD_FLOW_RUN_ID" in logs  # the flow printed its environment
    answers = [
        server.http.get(path).text
        for path in (
            "/work_pools",
            f"/work_pools/{POOL}",
            f"/flow_runs/{run_id}",
            f"/deployments/{deployments['environment']}",
            "/secrets",
            f"/flow_runs/{run_id}/logs",
        )
    ]
    answers.append(server.http.post("/flow_runs/filter", json={}).text)
    (arn,) = tasks_of(aws, run_id)
    task = aws.client("ecs").describe_tasks(cluster="default", tasks=[arn])["tasks"][0]
    places = {
        "the flow run's environment": logs,
        "API answers": "\n".join(answers),
        "the server's log": server.log.read_text(errors="replace"),
        "the SQLite file": server.database.read_bytes().decode("latin-1"),
        "the ECS task (overrides, tags)": json.dumps(task, default=str),
    }
    for wal in Path(str(server.database) + "-wal"), Path(str(server.database) + "-journal"):
        if wal.exists():
            places[wal.name] = wal.read_bytes().decode("latin-1")
    found = [where for where, text in places.items() if MARKER in text]
    assert found == []
