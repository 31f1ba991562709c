"""Helpers for server tests: a JSON client bound to the live test server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flowyard.testing.plugin import RunningServer


class Api:
    """Tiny helper: ``api.post('/work_pools', json=...)`` returns the httpx response."""

    def __init__(self, base: str, key: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(base_url=base, headers=headers, timeout=30)

    def __getattr__(self, method: str) -> Any:
        return getattr(self.http, method)

    def pool(self, name: str = "pool", **extra: Any) -> dict[str, Any]:
        response = self.http.post("/work_pools", json={"name": name, "type": "process", **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def deployment(self, pool: str = "pool", name: str = "dep", **extra: Any) -> dict[str, Any]:
        response = self.http.post(
            "/deployments",
            json={"flow_name": "flow", "name": name, "work_pool_name": pool, **extra},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def run(self, deployment_id: str, **extra: Any) -> dict[str, Any]:
        response = self.http.post(f"/deployments/{deployment_id}/runs", json=extra)
        assert response.status_code == 201, response.text
        return dict(response.json())


@pytest.fixture
def api(server: RunningServer) -> Iterator[Api]:
    client = Api(server.api_url)
    yield client
    client.http.close()
