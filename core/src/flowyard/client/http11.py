"""A minimal HTTP/1.1 client connection on a socket, for the CLI's plain JSON client.

``http.client`` imports the ``email`` parser and ``ssl`` at import time: ~0.02 s of a command's
~0.2 s. :class:`Connection` sends one request at a time on one kept-alive connection and reads
answers framed by ``Content-Length``, chunked transfer encoding or the connection's end; ``ssl``
is imported only for ``https``. Failures are :class:`OSError`\\ s (a malformed answer is a
:class:`ProtocolError`), which the plain client reports as an unreachable server.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    import ssl

MAX_LINE = 65536
"""Longest status or header line accepted."""


class ProtocolError(ConnectionError):
    """The server's answer is not valid HTTP/1.1."""


class Connection:
    """One HTTP/1.1 connection to ``host:port`` (TLS with ``tls``), opened on first request."""

    def __init__(
        self, host: str, port: int, timeout: float, tls: ssl.SSLContext | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
        self._sock: socket.socket | None = None
        self._file: BinaryIO | None = None

    def _open(self) -> BinaryIO:
        if self._file is not None:
            return self._file
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self._sock = sock
        self._file = sock.makefile("rb")
        return self._file

    def request(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        """Send one request; the answer's status and body."""
        reader = self._open()
        assert self._sock is not None
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.tls is not None else 80
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}" + _port(self.port, default_port)]
        lines += ["Accept-Encoding: identity", *(f"{k}: {v}" for k, v in headers.items())]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        status, answer_headers = _read_head(reader)
        while 100 <= status < 200:  # an interim answer: the real one follows
            status, answer_headers = _read_head(reader)
        data = _read_body(reader, answer_headers, method == "HEAD" or status in (204, 304))
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        file, sock, self._file, self._sock = self._file, self._sock, None, None
        if file is not None:
            file.close()
        if sock is not None:
            sock.close()


def _port(port: int, default: int) -> str:
    return "" if port == default else f":{port}"


def _line(reader: BinaryIO) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if not line:
        raise ProtocolError("the server closed the connection without answering")
    if len(line) > MAX_LINE:
        raise ProtocolError("an answer line is too long")
    return line


def _read_head(reader: BinaryIO) -> tuple[int, dict[str, str]]:
    parts = _line(reader).split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError("the answer is not HTTP/1.1")
    headers: dict[str, str] = {}
    while (line := _line(reader)) not in (b"\r\n", b"\n"):
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise ProtocolError("malformed header line in the answer")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


def _read_body(reader: BinaryIO, headers: Mapping[str, str], empty: bool) -> bytes:
    if empty:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while size := _number(_line(reader).split(b";", 1)[0], 16):
            chunks.append(_exactly(reader, size))
            _line(reader)
        while _line(reader) not in (b"\r\n", b"\n"):  # trailers
            pass
        return b"".join(chunks)
    if "content-length" in headers:
        return _exactly(reader, _number(headers["content-length"].encode(), 10))
    return reader.read()


def _number(text: bytes, base: int) -> int:
    try:
        value = int(text.strip(), base)
    except ValueError:
        raise ProtocolError("malformed length in the answer") from None
    if value < 0:
        raise ProtocolError("malformed length in the answer")
    return value


def _exactly(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise ProtocolError("the server closed the connection in the middle of an answer")
    return data
