"""The CLI's HTTP/1.1 connection (``flowyard.client.http11``) against real loopback servers.

The flowyard server answers JSON with ``Content-Length``; these servers answer the other ways
HTTP/1.1 allows (chunked, until the connection closes, over TLS), and badly.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flowyard.client.http11 import Connection, ProtocolError


class Answers(http.server.BaseHTTPRequestHandler):
    """``/chunked``: chunked JSON; ``/close``: no length, then the connection closes; echoes."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b'{"a": ', b"1}"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the end")
            self.close_connection = True
        else:
            body = f"{self.headers['Host']} {self.path} {self.client_address[1]}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(tls: ssl.SSLContext | None = None) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def port() -> Iterator[int]:
    yield from serve()


def test_a_kept_alive_connection_serves_several_requests(port: int) -> None:
    connection = Connection("127.0.0.1", port, timeout=10)
    first = connection.request("GET", "/one", {}, None)
    second = connection.request("GET", "/two", {}, None)
    connection.close()
    host, path, client_port = first[1].decode().split()
    assert (first[0], host, path) == (200, f"127.0.0.1:{port}", "/one")
    assert second[1].decode().split()[2] == client_port  # the same connection


def test_a_body_is_sent_with_its_length(port: int) -> None:
    connection = Connection("127.0.0.1", port, timeout=10)
    assert connection.request("POST", "/x", {"Content-Type": "application/json"}, b"{}") == (
        201,
        b"{}",
    )


def test_a_chunked_answer_is_joined(port: int) -> None:
    assert Connection("127.0.0.1", port, timeout=10).request("GET", "/chunked", {}, None) == (
        200,
        b'{"a": 1}',
    )


def test_an_answer_without_length_is_read_until_the_connection_closes(port: int) -> None:
    connection = Connection("127.0.0.1", port, timeout=10)
    assert connection.request("GET", "/close", {}, None) == (200, b"until the end")
    assert connection.request("GET", "/again", {}, None)[0] == 200  # a new connection


def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def answer_garbage() -> None:
            peer, _ = listener.accept()
            with peer:
                peer.recv(65536)
                peer.sendall(b"SSH-2.0-OpenSSH\r\n")

        threading.Thread(target=answer_garbage, daemon=True).start()
        connection = Connection("127.0.0.1", listener.getsockname()[1], timeout=10)
        with pytest.raises(ProtocolError, match="not HTTP"):
            connection.request("GET", "/", {}, None)


def test_tls_verifies_the_server_with_the_given_context(tmp_path: Path) -> None:
    from flowyard_fakes.azure_aci import self_signed_certificate

    cert_file, key_file = self_signed_certificate(tmp_path)  # for 127.0.0.1, its own CA
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert_file, key_file)
    trusting = ssl.create_default_context(cafile=str(cert_file))
    for port in serve(server_side):
        assert Connection("127.0.0.1", port, 10, trusting).request("GET", "/", {}, None)[0] == 200
        with pytest.raises(ssl.SSLCertVerificationError):
            Connection("127.0.0.1", port, 10, ssl.create_default_context()).request(
                "GET", "/", {}, None
            )
