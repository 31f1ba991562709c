"""Where ``flowyard server start`` listens: the configured host, plus the Docker bridge on a laptop.

A server bound to 127.0.0.1 cannot be reached from a container on Docker's default bridge, even
through ``host.docker.internal`` (that name points at the bridge's gateway address, not at the
host's loopback). So when the server is bound to loopback and a ``docker0`` interface exists, it
also listens on that interface's address: reachable from the host's own containers, not from the
network. ``FLOWYARD_SERVER_DOCKER_BRIDGE=false`` (``--no-docker-bridge``) turns this off.
"""

from __future__ import annotations

import ipaddress
import socket
import sys

from flowyard.errors import FlowyardError

SIOCGIFADDR = 0x8915


class ListenError(FlowyardError):
    """An address the server cannot listen on; the message names it and why."""


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1`` and ``localhost`` are loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def docker_bridge_address(interface: str = "docker0") -> str | None:
    """The IPv4 address of the Docker bridge interface, or None (not Linux, no such interface)."""
    if not sys.platform.startswith("linux"):
        return None
    import fcntl
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            packed = fcntl.ioctl(
                probe.fileno(), SIOCGIFADDR, struct.pack("256s", interface.encode()[:15])
            )
        except OSError:
            return None
    return socket.inet_ntoa(packed[20:24])


def open_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``. Raises ListenError with a one-line reason."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP,
    # and without it every response written in two parts (headers, body) waited for the
    # client's delayed ACK: ~40 ms on each keep-alive request
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ListenError(f"Cannot listen on {host}:{port}: {reason}.") from exc
    sock.set_inheritable(True)
    return sock


def listen_addresses(host: str, docker_bridge: bool) -> list[str]:
    """``host``, plus the Docker bridge's address when ``host`` is loopback and the bridge exists."""
    addresses = [host]
    if docker_bridge and is_loopback(host):
        bridge = docker_bridge_address()
        if bridge is not None:
            addresses.append(bridge)
    return addresses
