"""Schemathesis over ``/api/openapi.json``: no request makes the server answer 5xx.

Every operation gets ``EXAMPLES`` generated requests (bounded: about a minute per database), with
auth off and with auth on (an admin key). Both databases, through the ``database_url`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flowyard.settings import Settings
from flowyard.testing.plugin import RunningServer, start_server, stop_server
from hypothesis import HealthCheck, Phase, given, settings
from test_auth import create_key

EXAMPLES = 12


def _fuzz(server: RunningServer, headers: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(server.url + "/api/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        check()
    return failures


@pytest.fixture
def auth_server(server_settings: Settings) -> Iterator[RunningServer]:
    settings_on = server_settings.model_copy(update={"server_auth": True})
    running = start_server(settings_on)
    yield running
    stop_server(running)


def test_no_generated_request_gets_a_server_error(server: RunningServer) -> None:
    assert _fuzz(server, {}) == []


def test_no_generated_request_gets_a_server_error_with_auth_on(
    auth_server: RunningServer,
) -> None:
    key = create_key(auth_server.settings, "fuzz-admin", "admin")
    assert _fuzz(auth_server, {"Authorization": f"Bearer {key}"}) == []
