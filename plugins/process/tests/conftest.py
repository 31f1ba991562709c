"""Every process-type test runs twice: warm engine (fork server) and cold start (Popen)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flowyard.settings import get_settings
from flowyard_process import warm


@pytest.fixture(autouse=True, params=["warm", "cold"])
def engine_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``FLOWYARD_WORKER_WARM_ENGINE`` on or off for the test; the fork server is stopped after."""
    monkeypatch.setenv(
        "FLOWYARD_WORKER_WARM_ENGINE", "true" if request.param == "warm" else "false"
    )
    get_settings.cache_clear()
    yield str(request.param)
    warm.shutdown()
    get_settings.cache_clear()
