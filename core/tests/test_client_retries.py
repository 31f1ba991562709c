"""Retries: none for the CLI's client, through an outage for the flow-run engine's."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from flowyard.client import FlowyardClient
from flowyard.client.errors import ServerUnreachable
from flowyard.engine.retry import RetryingClient


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
