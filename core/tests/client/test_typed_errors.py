"""The typed client against a real server: each failure is a typed error with the server's message.

``except ApiError`` still catches them all; SDK calls (``flow.deploy``) raise them unchanged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from flowyard.client import (
    ApiError,
    ConflictError,
    DeploymentNotFound,
    FlowRunNotFound,
    FlowyardClient,
    NotFoundError,
    ObjectAlreadyExists,
    ValidationFailed,
    WorkPoolNotFound,
    WorkQueueNotFound,
)
from flowyard.client.aio import AsyncFlowyardClient
from flowyard.schemas.pools import WorkPoolCreate
from flowyard.schemas.runs import DeploymentCreate, FlowRunCreate
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer

pytestmark = SQLITE_ONLY


@pytest.fixture
def client(server: RunningServer) -> FlowyardClient:
    with FlowyardClient(server.api_url) as api:
        yield api  # type: ignore[misc]


def test_reading_a_missing_pool_raises_work_pool_not_found_with_the_servers_message(
    client: FlowyardClient,
) -> None:
    with pytest.raises(WorkPoolNotFound) as info:
        client.read_pool("nopool")
    assert str(info.value) == 'Work pool "nopool" not found.'
    assert info.value.status == 404


def test_creating_a_pool_twice_raises_object_already_exists(client: FlowyardClient) -> None:
    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    with pytest.raises(ObjectAlreadyExists, match='A work pool named "etl" already exists'):
        client.create_pool(WorkPoolCreate(name="etl", type="process"))


def test_deleting_the_default_queue_is_a_conflict_but_not_a_duplicate(
    client: FlowyardClient,
) -> None:
    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    with pytest.raises(ConflictError) as info:
        client.delete_queue("etl", "default")
    assert not isinstance(info.value, ObjectAlreadyExists)
    assert "default queue" in str(info.value)


def test_a_queue_route_names_what_is_missing_the_pool_or_the_queue(
    client: FlowyardClient,
) -> None:
    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    with pytest.raises(WorkQueueNotFound, match="Work queue 'etl/nightly' not found"):
        client.read_queue("etl", "nightly")
    with pytest.raises(WorkPoolNotFound):
        client.read_queue("nopool", "default")


def test_missing_deployments_and_flow_runs_have_their_own_errors(client: FlowyardClient) -> None:
    with pytest.raises(DeploymentNotFound, match="Deployment 'etl/daily' not found"):
        client.read_deployment_by_name("etl", "daily")
    with pytest.raises(FlowRunNotFound, match="Flow run 'nope' not found"):
        client.read_flow_run("nope")


def test_an_invalid_template_raises_validation_failed_naming_each_field_once(
    client: FlowyardClient,
) -> None:
    template = {"job_configuration": {"image": "{{ image }}"}, "variables": {"type": "object"}}
    with pytest.raises(ValidationFailed) as info:
        client.create_pool(WorkPoolCreate(name="bad", type="docker", base_job_template=template))
    error = info.value
    assert [e.field for e in error.errors] == ["base_job_template.job_configuration.image"]
    assert str(error).count("image") == str(error.detail).count("image")


def test_job_variables_the_pool_refuses_raise_validation_failed_with_the_field(
    client: FlowyardClient,
) -> None:
    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    deployment = client.create_deployment(
        DeploymentCreate(flow_name="etl", name="daily", work_pool_name="etl", entrypoint="f.py:f")
    )
    with pytest.raises(ValidationFailed) as info:
        client.create_flow_run(deployment.id, FlowRunCreate(job_variables={"stream_output": "x"}))
    assert [e.field for e in info.value.errors] == ["job_variables.stream_output"]


def test_every_typed_error_is_still_an_api_error(client: FlowyardClient) -> None:
    for call in (lambda: client.read_pool("x"), lambda: client.read_flow_run("x")):
        with pytest.raises(ApiError):
            call()
    assert issubclass(WorkPoolNotFound, NotFoundError)


def test_the_async_client_raises_the_same_typed_errors(server: RunningServer) -> None:
    async def read_missing_pool() -> None:
        client = AsyncFlowyardClient(server.api_url)
        try:
            await client.read_pool("nopool")
        finally:
            await client.aclose()

    with pytest.raises(WorkPoolNotFound, match='Work pool "nopool" not found'):
        asyncio.run(read_missing_pool())


def test_deploying_a_flow_to_a_missing_pool_raises_work_pool_not_found(
    server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowyard import flow

    (tmp_path / "flows.py").write_text("def hello():\n    return 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import flows  # type: ignore[import-not-found]

    with pytest.raises(WorkPoolNotFound, match='Work pool "nopool" not found'):
        flow(flows.hello).deploy(name="daily", work_pool_name="nopool")


def test_claiming_from_an_unknown_queue_raises_work_queue_not_found(
    client: FlowyardClient,
) -> None:
    from flowyard.schemas.runs import ClaimRequest

    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    with pytest.raises(WorkQueueNotFound, match="'nightly' not found in pool 'etl'"):
        client.claim("etl", ClaimRequest(worker_name="w1", work_queue_names=["nightly"]))


def test_a_worker_that_never_heartbeated_cannot_say_it_stopped(client: FlowyardClient) -> None:
    from flowyard.client.errors import WorkerNotFound

    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    with pytest.raises(WorkerNotFound, match="Worker 'ghost' not found in pool 'etl'"):
        client.worker_stopped("etl", "ghost")


def test_a_worker_that_stopped_is_offline_at_once(client: FlowyardClient) -> None:
    from flowyard.schemas.common import WorkerStatus
    from flowyard.schemas.pools import Heartbeat

    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    client.heartbeat("etl", Heartbeat(name="w1"))
    client.worker_stopped("etl", "w1")
    (worker,) = client.list_workers("etl")
    assert worker.status is WorkerStatus.OFFLINE


def test_writing_logs_of_a_missing_run_is_refused_naming_the_field(
    client: FlowyardClient,
) -> None:
    from flowyard.schemas.runs import LogCreate

    with pytest.raises(ValidationFailed, match="no-such-run") as info:
        client.write_logs([LogCreate(flow_run_id="no-such-run", message="hello")])
    assert [e.field for e in info.value.errors] == ["flow_run_id"]
