"""The engine's client rides out a server outage: requests wait for the server to come back."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from flowyard.client.errors import ServerUnreachable
from flowyard.engine.retry import RetryingClient
from flowyard.schemas.common import StateType
from flowyard.schemas.pools import WorkPoolCreate
from flowyard.schemas.runs import SetState
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


def _answer_after_a_broken_connection(port: int, body: bytes, seen: list[bytes]) -> None:
    """Accept a request and close without answering (a replica dying mid-request), then answer."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        for answer in (False, True):
            conn, _ = listener.accept()
            with conn:
                seen.append(conn.recv(65536))
                if answer:
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                        + body
                    )


def test_a_state_proposal_is_resent_when_the_connection_breaks_mid_request() -> None:
    port = free_port()
    seen: list[bytes] = []
    body = b'{"status": "ACCEPT", "state_type": "RUNNING", "state_name": "Running"}'
    server = threading.Thread(target=_answer_after_a_broken_connection, args=(port, body, seen))
    server.start()
    time.sleep(0.2)
    with RetryingClient(outage_seconds=10, api_url=f"http://127.0.0.1:{port}/api") as client:
        result = client.set_state("r1", SetState(type=StateType.RUNNING, claim_id="c1"))
    server.join(5)
    assert result.status == "ACCEPT"
    assert len(seen) == 2 and all(b"POST /api/flow_runs/r1/state" in request for request in seen)
