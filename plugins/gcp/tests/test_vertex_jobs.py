"""The vertex-ai hooks against the Vertex fake (official client over REST, containers on Docker)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flowyard.errors import InfrastructureNotFound
from flowyard_fakes.vertex import VertexFake
from flowyard_gcp import vertex_worker as hooks
from flowyard_gcp.vertex_job import VertexJob
from flowyard_gcp.vertex_variables import VertexVariables
from gcp_env import ANONYMOUS, BASE_IMAGE, configuration, docker_or_skip, flow_run

pytestmark = [pytest.mark.docker]


@pytest.fixture(scope="module")
def fake() -> Iterator[VertexFake]:
    docker_or_skip()
    with VertexFake(network_mode=None) as server:
        yield server


def job(fake: VertexFake, **variables: Any) -> VertexJob:
    config = configuration(
        VertexVariables,
        **{
            "image": BASE_IMAGE,
            "credentials": ANONYMOUS,
            "api_endpoint": fake.endpoint,
            "poll_interval_seconds": 0.2,
            **variables,
        },
    )
    return hooks.render(config, flow_run())


def test_a_succeeding_command_exits_0_and_the_job_is_deleted_afterwards(fake: VertexFake) -> None:
    run = flow_run()
    rendered = job(fake, command="python3 -c 'print(42)'")

    submission = hooks.submit(rendered, run)
    status = hooks.observe(rendered, submission, run)

    assert status is not None and status.code == 0, status
    assert submission.infrastructure_id.startswith(
        "projects/proj-1/locations/us-central1/customJobs/"
    )
    assert submission.infrastructure_id not in [j["name"] for j in fake.jobs()]


def test_a_failing_command_reports_the_replica_exit_status(fake: VertexFake) -> None:
    run = flow_run()
    rendered = job(fake, command="python3 -c 'import sys; sys.exit(3)'")

    status = hooks.observe(rendered, hooks.submit(rendered, run), run)

    assert status is not None and status.code == 3
    assert "exited with a non-zero status of 3" in (status.reason or "")


def test_a_missing_image_fails_the_job_naming_it(fake: VertexFake) -> None:
    run = flow_run()
    rendered = job(fake, image="registry.example/flows:missing")

    status = hooks.observe(rendered, hooks.submit(rendered, run), run)

    assert status is not None and status.code != 0
    assert "registry.example/flows:missing" in (status.reason or "")


def test_a_job_that_never_starts_is_cancelled_after_the_start_timeout() -> None:
    docker_or_skip()
    with VertexFake(network_mode=None, start_delay_seconds=30) as slow:
        run = flow_run()
        rendered = job(slow, start_timeout_seconds=1)  # type: ignore[arg-type]

        status = hooks.observe(rendered, hooks.submit(rendered, run), run)

        assert status is not None and status.code == -1
        assert "start_timeout_seconds" in (status.reason or "")
        assert [j["state"] for j in slow.jobs()] in ([], ["JOB_STATE_CANCELLED"])


def test_kill_cancels_and_deletes_the_job_and_its_container(fake: VertexFake) -> None:
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


def test_the_custom_job_carries_machine_disk_scheduling_and_the_engine_command(
    fake: VertexFake,
) -> None:
    rendered = job(
        fake,
        machine_type="a2-highgpu-1g",
        accelerator_type="NVIDIA_TESLA_A100",
        accelerator_count=1,
        boot_disk_size_gb=200,
        maximum_run_time_hours=2,
        scheduling_strategy="FLEX_START",
        service_account_name="runner@proj-1.iam.gserviceaccount.com",
    )

    custom = rendered.custom_job(flow_run())

    pool = custom["jobSpec"]["workerPoolSpecs"][0]
    assert pool["machineSpec"] == {
        "machineType": "a2-highgpu-1g",
        "acceleratorType": "NVIDIA_TESLA_A100",
        "acceleratorCount": 1,
    }
    assert pool["diskSpec"] == {"bootDiskType": "pd-ssd", "bootDiskSizeGb": 200}
    assert pool["containerSpec"]["args"] == ["python", "-m", "flowyard.engine"]
    assert custom["jobSpec"]["scheduling"] == {"timeout": "7200s", "strategy": "FLEX_START"}
    assert custom["jobSpec"]["serviceAccount"] == "runner@proj-1.iam.gserviceaccount.com"
    assert "flowyard-flow-run-id" in custom["labels"]
