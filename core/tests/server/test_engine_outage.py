"""The engine's client rides out a server outage: requests wait for the server to come back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from flowyard.client.errors import ServerUnreachable
from flowyard.engine.retry import RetryingClient
from flowyard.schemas.pools import WorkPoolCreate
from flowyard.settings import Settings
from flowyard.testing.plugin import RunningServer, free_port, start_server, stop_server


def test_a_request_during_an_outage_succeeds_once_the_server_is_back(tmp_path: Path) -> None:
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'flowyard.db'}"
    settings = Settings(home=tmp_path / "home", database_url=database_url, server_port=port)
    started: list[RunningServer] = []
    thread = threading.Timer(3.0, lambda: started.append(start_server(settings)))
    thread.start()
    try:
        with RetryingClient(outage_seconds=60, api_url=f"http://127.0.0.1:{port}/api") as client:
            begun = time.monotonic()
            pool = client.create_pool(WorkPoolCreate(name="p", type="process"))
            assert pool.name == "p"
            assert time.monotonic() - begun >= 2.5
    finally:
        thread.join()
        for running in started:
            stop_server(running)


def test_an_outage_longer_than_the_budget_still_fails_clearly() -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    with RetryingClient(outage_seconds=1, api_url=url) as client:
        begun = time.monotonic()
        with pytest.raises(ServerUnreachable):
            client.health()
        assert 0.9 <= time.monotonic() - begun < 10
