"""``create_flow_runs``: the typed method of ``POST /api/deployments/{id}/runs/bulk``."""

from __future__ import annotations

import asyncio

import pytest
from flowyard.client import DeploymentNotFound, FlowyardClient, ValidationFailed
from flowyard.client.aio import AsyncFlowyardClient
from flowyard.schemas.pools import WorkPoolCreate
from flowyard.schemas.runs import (
    Deployment,
    DeploymentCreate,
    FlowRunBulkCreate,
    FlowRunCreate,
    FlowRunFilter,
)
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer

pytestmark = SQLITE_ONLY


@pytest.fixture
def client(server: RunningServer) -> FlowyardClient:
    with FlowyardClient(server.api_url) as api:
        yield api  # type: ignore[misc]


@pytest.fixture
def deployment(client: FlowyardClient) -> Deployment:
    client.create_pool(WorkPoolCreate(name="etl", type="process"))
    return client.create_deployment(
        DeploymentCreate(flow_name="etl", name="daily", work_pool_name="etl", entrypoint="f.py:f")
    )


def test_create_flow_runs_returns_the_ids_in_request_order(
    client: FlowyardClient, deployment: Deployment
) -> None:
    body = FlowRunBulkCreate(runs=[FlowRunCreate(name=f"run-{i}") for i in range(3)])
    created = client.create_flow_runs(deployment.id, body)
    assert [client.read_flow_run(run_id).name for run_id in created.ids] == [
        "run-0",
        "run-1",
        "run-2",
    ]


def test_create_flow_runs_refuses_a_bad_run_by_its_index_and_creates_none(
    client: FlowyardClient, deployment: Deployment
) -> None:
    body = FlowRunBulkCreate(
        runs=[FlowRunCreate(), FlowRunCreate(job_variables={"stream_output": "x"})]
    )
    with pytest.raises(ValidationFailed, match=r"runs\[1\]"):
        client.create_flow_runs(deployment.id, body)
    assert client.list_flow_runs(FlowRunFilter()) == []


def test_create_flow_runs_of_a_missing_deployment_raises_deployment_not_found(
    client: FlowyardClient,
) -> None:
    with pytest.raises(DeploymentNotFound):
        client.create_flow_runs("no-such-id", FlowRunBulkCreate(runs=[FlowRunCreate()]))


def test_the_async_client_creates_flow_runs_in_bulk(
    server: RunningServer, deployment: Deployment
) -> None:
    async def create() -> list[str]:
        api = AsyncFlowyardClient(server.api_url, retries=0)
        try:
            created = await api.create_flow_runs(
                deployment.id, FlowRunBulkCreate(runs=[FlowRunCreate(), FlowRunCreate()])
            )
        finally:
            await api.aclose()
        return created.ids

    assert len(asyncio.run(create())) == 2
