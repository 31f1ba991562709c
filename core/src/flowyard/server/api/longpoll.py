"""The long-poll loop shared by the claim endpoints."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
from fastapi import Request

from flowyard.schemas.runs import ClaimResponse
from flowyard.server.services.context import ServerContext


async def long_poll(
    ctx: ServerContext,
    request: Request,
    wait_seconds: float,
    attempt: Callable[[], tuple[str, ClaimResponse]],
) -> ClaimResponse:
    """Run ``attempt`` (in a thread) until it has something or ``wait_seconds`` pass.

    ``attempt`` returns (notifier key, response). Between attempts the loop sleeps on that key's
    notifier, re-checking at least every second (other replicas do not notify this one). A client
    that hung up (a worker shutting down) ends the loop before the next attempt, so nothing more
    is claimed for it.
    """
    deadline = time.monotonic() + min(wait_seconds, ctx.settings.server_max_claim_wait_seconds)
    first = True
    while True:
        if not first and await request.is_disconnected():
            return ClaimResponse(runs=[])
        first = False
        key, result = await anyio.to_thread.run_sync(attempt)
        remaining = deadline - time.monotonic()
        if result.runs or result.cancelling or result.lost or remaining <= 0:
            return result
        await ctx.notifier.wait(key, min(remaining, 1.0))
