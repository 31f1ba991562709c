"""The ecs worker end to end: a flowyard server, `flowyard worker start` as a subprocess, boto3
against moto in server mode, and each task's container run on the real Docker engine by the
flowyard_fakes.ecs agent (see its docstring for what moto does not model).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flowyard.testing import e2e
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import WorkerProcess
from flowyard_fakes.ecs import FakeAws

pytestmark = [pytest.mark.docker, SQLITE_ONLY]

FLOWS = e2e.tutorial_flows("ecs", "from an ECS task")

FAST = {"task_watch_poll_interval": 0.3, "task_start_timeout_seconds": 60}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return e2e.flow_project(tmp_path, FLOWS)


@pytest.fixture
def image_tag() -> Iterator[str]:
    with e2e.throwaway_image_tag("flowyard-ecs-e2e") as tag:
        yield tag


@pytest.fixture
def ecs_worker(server: RunningServer, aws: FakeAws, tmp_path: Path) -> Iterator[WorkerProcess]:
    """The pool ``ecs-pool`` with one worker, talking to the fake."""
    with e2e.pool_workers(
        server, "ecs-pool", "ecs", directory=tmp_path, stop_timeout=30, **aws.env()
    ) as pool:
        yield pool.start()


def deploy(
    server: RunningServer, project: Path, base_image: str, flow: str, image: str, **variables: Any
) -> subprocess.CompletedProcess[str]:
    """``flow.deploy(image=...)`` from the project directory: builds the image, registers."""
    return e2e.deploy(
        server,
        project,
        flow,
        work_pool="ecs-pool",
        image=image,
        job_variables={**FAST, **variables},
        base_image=base_image,
    )


def task_of(aws: FakeAws, infrastructure_id: str) -> dict[str, Any]:
    cluster, _, arn = infrastructure_id.partition("::")
    return dict(aws.client("ecs").describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0])


def test_the_tutorial_flow_runs_in_an_ecs_task_and_completes_with_its_logs(
    server: RunningServer,
    http: httpx.Client,
    aws: FakeAws,
    project: Path,
    flowyard_image: str,
    image_tag: str,
    ecs_worker: WorkerProcess,
) -> None:
    role = aws.create_role("ecs-execution")
    deployed = deploy(
        server,
        project,
        flowyard_image,
        "tutorial",
        image_tag,
        configure_cloudwatch_logs=True,
        execution_role_arn=role,
        stream_output=True,
    )
    assert deployed.returncode == 0, deployed.stderr
    watched = run_cli(
        "deployment", "run", "tutorial/dev", "--param", "name=ann", "--watch", env=server.env()
    )
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "hello ann from an ECS task" in watched.stdout and "Completed" in watched.stdout
    (run,) = http.post("/flow_runs/filter", json={}).json()
    assert run["state_type"] == "COMPLETED"
    task = task_of(aws, run["infrastructure_id"])
    assert task["lastStatus"] == "STOPPED" and task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 0
    definition = aws.client("ecs").describe_task_definition(
        taskDefinition=task["taskDefinitionArn"]
    )
    assert definition["taskDefinition"]["containerDefinitions"][0]["image"] == image_tag
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    events = aws.client("logs").get_log_events(
        logGroupName="flowyard", logStreamName=f"flowyard/flowyard/{task_id}", startFromHead=True
    )["events"]
    assert any("hello ann from an ECS task" in e["message"] for e in events)
    ecs_worker.wait_for_output("hello ann from an ECS task")  # stream_output


def test_a_second_deploy_of_the_same_flow_registers_no_new_revision(
    server: RunningServer,
    http: httpx.Client,
    aws: FakeAws,
    project: Path,
    flowyard_image: str,
    image_tag: str,
    ecs_worker: WorkerProcess,
) -> None:
    ecs = aws.client("ecs")
    arns = []
    for _ in range(2):
        assert deploy(server, project, flowyard_image, "tutorial", image_tag).returncode == 0
        run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
        final = e2e.wait_for_state(http, run["id"])
        assert final["state_type"] == "COMPLETED", final
        arns.append(task_of(aws, final["infrastructure_id"])["taskDefinitionArn"])
    assert arns[0] == arns[1]
    family = arns[0].rsplit("/", 1)[-1].rsplit(":", 1)[0]
    assert len(ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]) == 1


def test_cancelling_a_run_stops_its_task_and_removes_the_container(
    server: RunningServer,
    http: httpx.Client,
    aws: FakeAws,
    project: Path,
    flowyard_image: str,
    image_tag: str,
    ecs_worker: WorkerProcess,
) -> None:
    assert deploy(server, project, flowyard_image, "long_one", image_tag).returncode == 0
    run = cli_json("deployment", "run", "long-one/dev", env=server.env())
    running = e2e.wait_for_state(http, run["id"], frozenset({"RUNNING"}))
    infrastructure_id = (
        running["infrastructure_id"]
        or http.get(f"/flow_runs/{run['id']}").json()["infrastructure_id"]
    )
    assert aws.agent is not None
    runner = aws.agent.runner
    container_ids = runner.ids_with_labels(
        {"flowyard-fakes.ecs.task-arn": infrastructure_id.partition("::")[2]}
    )
    assert len(container_ids) == 1
    assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0
    assert e2e.wait_for_state(http, run["id"], timeout=60)["state_type"] == "CANCELLED"
    e2e.wait_until(
        lambda: (
            task_of(aws, infrastructure_id)["lastStatus"] == "STOPPED"
            and not runner.exists(container_ids[0])
        ),
        60,
        lambda: task_of(aws, infrastructure_id),
    )
    assert task_of(aws, infrastructure_id)["stopCode"] == "UserInitiated"


def test_fargate_without_subnets_and_without_a_default_vpc_crashes_naming_network_configuration(
    server: RunningServer,
    http: httpx.Client,
    aws: FakeAws,
    project: Path,
    flowyard_image: str,
    image_tag: str,
    ecs_worker: WorkerProcess,
) -> None:
    aws.delete_default_vpc()
    assert deploy(server, project, flowyard_image, "tutorial", image_tag).returncode == 0
    run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
    final = e2e.wait_for_state(http, run["id"])
    assert final["state_type"] == "CRASHED"
    assert "network_configuration" in final["state_message"]
    assert "no default VPC" in final["state_message"]


def test_an_image_that_cannot_be_pulled_crashes_with_the_pull_error(
    server: RunningServer,
    http: httpx.Client,
    aws: FakeAws,
    project: Path,
    flowyard_image: str,
    image_tag: str,
    ecs_worker: WorkerProcess,
) -> None:
    assert deploy(server, project, flowyard_image, "tutorial", image_tag).returncode == 0
    run = cli_json(
        "deployment",
        "run",
        "tutorial/dev",
        "--job-variable",
        "image=no-such-image:404",
        env=server.env(),
    )
    final = e2e.wait_for_state(http, run["id"])
    assert final["state_type"] == "CRASHED"
    assert (
        "could not pull" in final["state_message"] and "no-such-image:404" in final["state_message"]
    )


def test_a_container_that_exits_without_a_state_is_crashed_with_its_exit_code(
    server: RunningServer,
    http: httpx.Client,
    aws: FakeAws,
    project: Path,
    flowyard_image: str,
    image_tag: str,
    ecs_worker: WorkerProcess,
) -> None:
    assert (
        deploy(
            server, project, flowyard_image, "tutorial", image_tag, command="sh -c 'exit 3'"
        ).returncode
        == 0
    )
    run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
    final = e2e.wait_for_state(http, run["id"])
    assert final["state_type"] == "CRASHED"
    assert "essential container 'flowyard' exited with code 3" in final["state_message"]


def test_a_container_killed_for_memory_is_explained(
    server: RunningServer,
    http: httpx.Client,
    aws: FakeAws,
    project: Path,
    flowyard_image: str,
    image_tag: str,
    ecs_worker: WorkerProcess,
) -> None:
    hog = "python -c 'b=[bytearray(1<<20) for _ in range(400)]; [x.__setitem__(slice(None,None,4096), b\"1\"*256) for x in b]'"
    assert (
        deploy(
            server, project, flowyard_image, "tutorial", image_tag, memory=128, command=hog
        ).returncode
        == 0
    )
    run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
    final = e2e.wait_for_state(http, run["id"])
    assert final["state_type"] == "CRASHED"
    assert "running out of memory" in final["state_message"], final["state_message"]
