"""The cloud-run hooks against the Cloud Run fake (official client over REST, containers on Docker)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flowyard.errors import InfrastructureNotFound
from flowyard_fakes.cloud_run import CloudRunFake
from flowyard_gcp import cloud_run_worker as hooks
from flowyard_gcp.cloud_run_job import CloudRunJob
from flowyard_gcp.cloud_run_variables import CloudRunVariables
from gcp_env import ANONYMOUS, BASE_IMAGE, configuration, docker_or_skip, flow_run

pytestmark = [pytest.mark.docker]


@pytest.fixture(scope="module")
def fake() -> Iterator[CloudRunFake]:
    docker_or_skip()
    with CloudRunFake(network_mode=None) as server:
        yield server


def job(fake: CloudRunFake, **variables: Any) -> CloudRunJob:
    config = configuration(
        CloudRunVariables,
        **{
            "image": BASE_IMAGE,
            "credentials": ANONYMOUS,
            "api_endpoint": fake.endpoint,
            "poll_interval_seconds": 0.2,
            **variables,
        },
    )
    return hooks.render(config, flow_run())


def test_a_succeeding_command_exits_0_and_the_job_is_deleted_afterwards(fake: CloudRunFake) -> None:
    run = flow_run()
    rendered = job(fake, command="python3 -c 'print(42)'")

    submission = hooks.submit(rendered, run)
    status = hooks.observe(rendered, submission, run)

    assert status is not None and status.code == 0, status
    assert submission.infrastructure_id.startswith("projects/proj-1/locations/us-central1/jobs/")
    assert submission.infrastructure_id not in [j["name"] for j in fake.jobs()]


def test_a_failing_command_reports_the_task_exit_code_and_the_condition(fake: CloudRunFake) -> None:
    run = flow_run()
    rendered = job(fake, command="python3 -c 'import sys; sys.exit(3)'")

    status = hooks.observe(rendered, hooks.submit(rendered, run), run)

    assert status is not None and status.code == 3
    assert "exit code 3" in (status.reason or "")
    assert "The container exited with an error" in (status.reason or "")


def test_a_missing_image_fails_the_submission_naming_it(fake: CloudRunFake) -> None:
    rendered = job(fake, image="registry.example/flows:missing")

    with pytest.raises(RuntimeError, match=re.escape("registry.example/flows:missing")):
        hooks.submit(rendered, flow_run())

    assert not [j for j in fake.jobs() if "missing" in json.dumps(j)]


def test_kill_cancels_the_execution_and_deletes_the_job_and_its_container(
    fake: CloudRunFake,
) -> None:
    rendered = job(fake, command="sleep 60")
    submission = hooks.submit(rendered, flow_run())
    deadline = time.monotonic() + 30
    while not fake.container_ids():
        assert time.monotonic() < deadline
        time.sleep(0.1)

    hooks.kill(submission.infrastructure_id, rendered, 2)

    assert submission.infrastructure_id not in [j["name"] for j in fake.jobs()]
    assert not fake.container_ids()
    with pytest.raises(InfrastructureNotFound):
        hooks.kill(submission.infrastructure_id, rendered, 2)


def test_keep_job_keeps_the_job_and_its_execution(fake: CloudRunFake) -> None:
    run = flow_run()
    rendered = job(fake, command="true", keep_job=True)

    submission = hooks.submit(rendered, run)
    hooks.observe(rendered, submission, run)

    kept = [j for j in fake.jobs() if j["name"] == submission.infrastructure_id]
    assert kept and kept[0]["executionCount"] == 1


def test_the_job_body_carries_gcp_safe_labels_env_resources_and_the_engine_command(
    fake: CloudRunFake,
) -> None:
    rendered = job(fake, cpu="2", memory="1Gi", timeout=30, labels={"Team.Name": "Data/Eng"})
    run = flow_run()

    body = rendered.body(run)

    container = body["template"]["template"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "1Gi"}
    assert container["args"] == ["python", "-m", "flowyard.engine"]
    assert body["template"]["template"]["timeout"] == "30s"
    assert body["labels"]["team-name"] == "data-eng"
    assert "flowyard-flow-run-id" in body["template"]["labels"]
    assert {"name": "FLOWYARD_API_URL", "value": "http://127.0.0.1:4200/api"} in container["env"]


def test_kill_of_something_that_is_not_a_job_name_is_not_found(fake: CloudRunFake) -> None:
    with pytest.raises(InfrastructureNotFound):
        hooks.kill("abc123", job(fake), 1)


def test_an_api_key_secret_replaces_the_plaintext_key_in_the_job_body(fake: CloudRunFake) -> None:
    config = configuration(CloudRunVariables, api_key_secret="flowyard-key:3")
    config["env"]["FLOWYARD_API_KEY"] = "fy-secret-value"
    rendered = hooks.render(config, flow_run())

    body = rendered.body(flow_run())

    env = body["template"]["template"]["containers"][0]["env"]
    assert "fy-secret-value" not in json.dumps(body)
    assert {
        "name": "FLOWYARD_API_KEY",
        "valueSource": {"secretKeyRef": {"secret": "flowyard-key", "version": "3"}},
    } in env
