"""The engine's log shipper keeps its lines through a server outage and ships them, tail included.

A real server is stopped and restarted on the same port and database. Lines logged before,
during the outage and after the flow ended (while the server is still down) are all stored, in
order, once it is back. The outage lasts ``FLOWYARD_TEST_LOG_OUTAGE_SECONDS`` (3 s in CI; the
shipper has no limit of its own below the flush budget, run it with 65 to see a long outage).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from flowyard.engine.retry import RetryingClient
from flowyard.flows.logs import ApiLogHandler
from flowyard.settings import Settings
from flowyard.testing.plugin import RunningServer, start_server, stop_server

OUTAGE = float(os.environ.get("FLOWYARD_TEST_LOG_OUTAGE_SECONDS", "3"))


@pytest.fixture
def restartable(server_settings: Settings) -> Iterator[list[RunningServer]]:
    """The running server, first in a list the test replaces it in after a restart."""
    servers = [start_server(server_settings)]
    yield servers
    stop_server(servers[0])


def _run_id(api_url: str) -> str:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        assert http.post("/work_pools", json={"name": "pool", "type": "process"}).is_success
        dep = http.post(
            "/deployments", json={"flow_name": "flow", "name": "dep", "work_pool_name": "pool"}
        ).json()
        return str(http.post(f"/deployments/{dep['id']}/runs", json={}).json()["id"])


def _stored(api_url: str, run_id: str) -> list[str]:
    with httpx.Client(base_url=api_url, timeout=30) as http:
        return [line["message"] for line in http.get(f"/flow_runs/{run_id}/logs").json()]


def _logger(handler: ApiLogHandler) -> logging.Logger:
    logger = logging.getLogger(f"test.shipper.{id(handler)}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    return logger


def _wait_until_sent(api_url: str, run_id: str, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(_stored(api_url, run_id)) < count:
        assert time.monotonic() < deadline, "the first lines were never shipped"
        time.sleep(0.1)


def _close_during_outage_then_restart(
    servers: list[RunningServer], handler: ApiLogHandler
) -> float:
    """The flow ends (``close``) while the server is down; returns how long ``close`` took."""
    took: list[float] = []

    def close() -> None:
        started = time.monotonic()
        handler.close()
        took.append(time.monotonic() - started)

    closer = threading.Thread(target=close)
    closer.start()
    time.sleep(OUTAGE / 2)
    assert closer.is_alive(), "close() returned while the server was still down"
    # uvicorn's own logging set-up would close every handler, the one under test included
    servers[0] = start_server(servers[0].settings, configure_logging=False)
    closer.join(timeout=60)
    assert took, "close() did not return after the server came back"
    return took[0]


def test_lines_logged_through_an_outage_and_after_the_flow_ended_are_all_stored(
    restartable: list[RunningServer],
) -> None:
    api_url = restartable[0].api_url
    run_id = _run_id(api_url)
    handler = ApiLogHandler(
        run_id, RetryingClient(outage_seconds=1, api_url=api_url), flush_seconds=OUTAGE + 60
    )
    logger = _logger(handler)
    logger.info("before")
    _wait_until_sent(api_url, run_id, 1)

    stop_server(restartable[0])
    for i in range(3):
        logger.info("during %d", i)
        time.sleep(OUTAGE / 6)
    logger.info("tail")  # the flow's last line, logged while the server is down
    took = _close_during_outage_then_restart(restartable, handler)

    assert _stored(restartable[0].api_url, run_id) == [
        "before",
        "during 0",
        "during 1",
        "during 2",
        "tail",
    ]
    assert handler.dropped_total == 0
    assert took >= OUTAGE / 2


def test_a_full_buffer_drops_the_oldest_waiting_lines_and_stores_their_count(
    restartable: list[RunningServer],
) -> None:
    api_url = restartable[0].api_url
    run_id = _run_id(api_url)
    handler = ApiLogHandler(
        run_id,
        RetryingClient(outage_seconds=1, api_url=api_url),
        max_buffered=5,
        flush_seconds=OUTAGE + 60,
    )
    logger = _logger(handler)
    logger.info("before")
    _wait_until_sent(api_url, run_id, 1)

    stop_server(restartable[0])
    for i in range(12):
        logger.info("line %d", i)
    _close_during_outage_then_restart(restartable, handler)

    stored = _stored(restartable[0].api_url, run_id)
    assert stored[0] == "before"
    assert stored[1].startswith("7 log line(s) were dropped here")
    assert stored[2:] == [f"line {i}" for i in range(7, 12)]
    assert handler.dropped_total == 7
