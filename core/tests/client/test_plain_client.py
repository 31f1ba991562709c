"""The plain JSON client against a real server: plain data in and out, the typed errors on failure."""

from __future__ import annotations

import socket

import httpx
import pytest
from flowyard.client.errors import (
    ApiError,
    DeploymentNotFound,
    ObjectAlreadyExists,
    ServerUnreachable,
    ValidationFailed,
    WorkPoolNotFound,
)
from flowyard.client.plain import PlainClient
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer


@SQLITE_ONLY
def test_it_returns_the_answer_as_plain_json(server: RunningServer, http: httpx.Client) -> None:
    assert http.post("/work_pools", json={"name": "plain", "type": "process"}).status_code == 201
    with PlainClient(server.api_url) as api:
        pools = api.get("/work_pools")
        again = api.get("/work_pools")  # the same kept-alive connection
    assert [p["name"] for p in pools] == ["plain"] == [p["name"] for p in again]


@SQLITE_ONLY
def test_a_missing_object_is_the_routes_not_found_error(server: RunningServer) -> None:
    with PlainClient(server.api_url) as api, pytest.raises(DeploymentNotFound):
        api.get("/deployments/name/nope/nope", not_found=DeploymentNotFound)


@SQLITE_ONLY
def test_the_servers_own_error_code_picks_the_class(
    server: RunningServer, http: httpx.Client
) -> None:
    with PlainClient(server.api_url) as api:
        with pytest.raises(WorkPoolNotFound):
            api.get("/work_pools/absent")
        api.post("/work_pools", {"name": "twice", "type": "process"})
        with pytest.raises(ObjectAlreadyExists):
            api.post("/work_pools", {"name": "twice", "type": "process"})


@SQLITE_ONLY
def test_a_refused_body_names_each_field(server: RunningServer) -> None:
    with PlainClient(server.api_url) as api, pytest.raises(ValidationFailed) as refused:
        api.post("/flow_runs/filter", {"limit": 0, "state_types": ["BOGUS"]})
    fields = {error.field for error in refused.value.errors}
    assert {"limit", "state_types.0"} <= fields
    assert isinstance(refused.value, ApiError) and refused.value.status == 422


def test_an_unreachable_server_says_where_it_looked() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    with PlainClient(url) as api, pytest.raises(ServerUnreachable, match="Cannot reach"):
        api.get("/health")


def test_a_url_that_is_not_http_is_refused_naming_the_variable() -> None:
    with pytest.raises(ServerUnreachable, match="FLOWYARD_API_URL"):
        PlainClient("ftp://example.invalid/api")
