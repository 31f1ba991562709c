"""The server's listening socket hands asyncio connections it sets TCP_NODELAY on.

Without it a response written in two parts (headers, then body) waits for the client's delayed
ACK, about 40 ms on every keep-alive request to ``flowyard server start``.
"""

from __future__ import annotations

import asyncio
import socket

from flowyard.server.listen import open_socket
from flowyard.testing.plugin import free_port


async def accepted_nodelay(sock: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted: socket.socket = writer.get_extra_info("socket")
        seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    async with server:
        host, port = sock.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        value = await asyncio.wait_for(seen, 10)
        writer.close()
    return value


def test_connections_accepted_on_the_servers_socket_have_tcp_nodelay() -> None:
    sock = open_socket("127.0.0.1", free_port())
    assert asyncio.run(accepted_nodelay(sock)) != 0
