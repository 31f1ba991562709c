"""The Google fakes accept what both kinds of client send: enum names (discovery client) and
numbers (GAPIC REST), and answer errors in Google's JSON shape."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from flowyard_fakes.cloud_run import CloudRunFake
from flowyard_fakes.images import skip_without_docker
from flowyard_fakes.vertex import VertexFake

pytestmark = pytest.mark.docker

PARENT = "projects/p/locations/us-central1"


@pytest.fixture(scope="module")
def cloud_run() -> Iterator[CloudRunFake]:
    skip_without_docker()
    with CloudRunFake() as fake:
        yield fake


def job_body(stage: str | int) -> dict[str, object]:
    return {"launchStage": stage, "template": {"template": {"containers": [{"image": "x:1"}]}}}


@pytest.mark.parametrize(("sent", "stored"), [("BETA", "BETA"), (3, "BETA"), (4, "GA")])
def test_cloud_run_takes_launch_stage_as_name_or_number(
    cloud_run: CloudRunFake, sent: str | int, stored: str
) -> None:
    job_id = f"j-{sent}".lower()
    created = httpx.post(
        f"{cloud_run.endpoint}/v2/{PARENT}/jobs",
        params={"jobId": job_id, "$alt": "json;enum-encoding=int"},
        json=job_body(sent),
    ).json()

    assert created["done"] is True
    assert created["response"]["@type"] == "type.googleapis.com/google.cloud.run.v2.Job"
    job = httpx.get(f"{cloud_run.endpoint}/v2/{PARENT}/jobs/{job_id}").json()
    assert job["launchStage"] == stored
    assert job["generation"] == "1"  # int64 as a JSON string


def test_cloud_run_unknown_job_is_a_google_not_found(cloud_run: CloudRunFake) -> None:
    answer = httpx.get(f"{cloud_run.endpoint}/v2/{PARENT}/jobs/nope")

    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"


def test_cloud_run_operations_are_served(cloud_run: CloudRunFake) -> None:
    created = httpx.post(
        f"{cloud_run.endpoint}/v2/{PARENT}/jobs", params={"jobId": "op-job"}, json=job_body("GA")
    ).json()

    again = httpx.get(f"{cloud_run.endpoint}/v2/{created['name']}").json()

    assert again == created


def test_vertex_create_answers_the_job_itself_queued_with_a_numeric_id() -> None:
    skip_without_docker()
    with VertexFake() as fake:
        body = {
            "displayName": "d",
            "jobSpec": {"workerPoolSpecs": [{"containerSpec": {"imageUri": "missing:1"}}]},
        }
        created = httpx.post(f"{fake.endpoint}/v1/{PARENT}/customJobs", json=body).json()

    assert created["state"] == "JOB_STATE_QUEUED"
    assert created["name"].rsplit("/", 1)[-1].isdigit()
