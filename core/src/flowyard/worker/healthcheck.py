"""``--with-healthcheck``: a tiny HTTP endpoint (``GET /health``) for liveness probes.

Plain asyncio (no web framework) so the idle worker stays small. 200 while polls succeed,
503 once they keep failing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any


async def serve_health(
    host: str, port: int, status: Callable[[], tuple[bool, dict[str, Any]]]
) -> asyncio.Server:
    """Start the endpoint; ``status()`` returns (healthy, details)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request.decode(errors="replace").split()
            path = parts[1] if len(parts) > 1 else "/"
            if path.rstrip("/") in ("/health", ""):
                healthy, details = status()
                code, reason = (200, "OK") if healthy else (503, "Service Unavailable")
                body = json.dumps({"healthy": healthy, **details}).encode()
            else:
                code, reason, body = 404, "Not Found", b'{"detail": "GET /health"}'
            writer.write(
                f"HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
