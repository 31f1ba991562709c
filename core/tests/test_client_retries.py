"""Retries: none for the CLI's client, through an outage for the flow-run engine's."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from flowyard.client import FlowyardClient
from flowyard.client.errors import ServerUnreachable
from flowyard.engine.retry import RetryingClient, outage_seconds_setting
from flowyard.errors import FlowyardError


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_without_retries_an_unreachable_server_fails_at_once() -> None:
    client = FlowyardClient(f"http://127.0.0.1:{_closed_port()}/api")
    started = time.monotonic()
    with pytest.raises(ServerUnreachable, match="Cannot reach the flowyard server"):
        client.health()
    assert time.monotonic() - started < 1


def test_retries_reach_a_server_that_comes_up_meanwhile() -> None:
    port = _closed_port()

    def serve_later() -> None:
        time.sleep(0.3)
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen()
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                body = b'{"status": "ok", "version": "0.1.0"}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )

    thread = threading.Thread(target=serve_later, daemon=True)
    thread.start()
    client = RetryingClient(outage_seconds=10, api_url=f"http://127.0.0.1:{port}/api")
    assert client.health().status == "ok"
    thread.join(5)


def test_the_engine_reads_its_outage_budget_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLOWYARD_ENGINE_OUTAGE_SECONDS", "7.5")
    with RetryingClient(api_url=f"http://127.0.0.1:{_closed_port()}/api") as client:
        assert client.outage_seconds == 7.5


def test_the_engine_outage_budget_defaults_to_two_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWYARD_ENGINE_OUTAGE_SECONDS", raising=False)
    assert outage_seconds_setting() == 120.0


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_outage_budget_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FLOWYARD_ENGINE_OUTAGE_SECONDS", value)
    with pytest.raises(FlowyardError, match="FLOWYARD_ENGINE_OUTAGE_SECONDS must be a number"):
        outage_seconds_setting()
