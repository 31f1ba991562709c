"""The server's listening socket: answers on a kept-alive connection are not held back.

asyncio turns Nagle's algorithm off (``TCP_NODELAY``) only on sockets whose protocol number says
TCP. A socket made with protocol 0 got Nagle, so each response written in two parts (headers,
then body) on a reused connection waited for the client's delayed ACK: ~40 ms per API call
after the first, on every engine, worker and CLI request.
"""

from __future__ import annotations

import asyncio
import socket

from flowyard.server.listen import open_socket


def test_the_listening_socket_is_a_tcp_socket() -> None:
    sock = open_socket("127.0.0.1", 0)
    with sock:
        assert sock.proto == socket.IPPROTO_TCP


def test_connections_accepted_by_asyncio_have_nagle_off() -> None:
    async def accepted_nodelay() -> int:
        sock = open_socket("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                raw = transport.get_extra_info("socket")
                seen.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            port = sock.getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            value = await asyncio.wait_for(seen, 5)
            writer.close()
        return value

    assert asyncio.run(accepted_nodelay()) != 0
