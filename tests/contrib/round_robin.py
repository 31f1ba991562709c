"""A loopback TCP load balancer for tests: round robin per connection, skipping dead backends.

This is what a real load balancer (haproxy, a Kubernetes Service) does for the replica test: new
connections go to the next backend; a backend that refuses the connection is skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter


class RoundRobin:
    """Listen on ``127.0.0.1:<port>`` in a background thread and spread connections."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.connections: Counter[int] = Counter()  # accepted connections per backend port
        self._next = itertools.cycle(range(len(backends)))
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        for _ in self.backends:
            port = self.backends[next(self._next)]
            try:
                backend_r, backend_w = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections[port] += 1
            await asyncio.gather(self._pipe(client_r, backend_w), self._pipe(backend_r, client_w))
            return
        client_w.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _shut(self) -> None:
        self._server.close()
        pipes = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)

    def close(self) -> None:
        """Stop listening and drop the open connections (their pipes end before the loop does)."""
        asyncio.run_coroutine_threadsafe(self._shut(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
