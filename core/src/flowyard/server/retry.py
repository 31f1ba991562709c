"""Whole-transaction retries when the database aborts a transaction it could not order.

PostgreSQL aborts one side of a deadlock (SQLSTATE ``40P01``) and, under stricter isolation, a
transaction it cannot serialise (``40001``); SQLite answers "database is locked" when its busy
timeout runs out. Each is the database saying "run it again", and nothing of the aborted
transaction was kept, so the API runs the whole request handler again: :class:`RetryingRoute`,
at most ``server_transaction_attempts`` times, with a short growing pause, each retry logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("flowyard.server.retry")

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
"""deadlock_detected, serialization_failure."""

DEFAULT_ATTEMPTS = 5
PAUSE_SECONDS = 0.05
"""The first pause between attempts; it doubles each time (plus jitter)."""


def is_retryable(exc: BaseException) -> bool:
    """The database aborted the transaction only to order it against another one."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def _attempts(request: Request) -> int:
    ctx = getattr(request.app.state, "ctx", None)
    settings = getattr(ctx, "settings", None)
    return int(getattr(settings, "server_transaction_attempts", DEFAULT_ATTEMPTS))


class RetryingRoute(APIRoute):
    """An API route whose handler runs again (a fresh transaction) after a retryable abort.

    The request body is read once and cached by the request, so a retry sees the same input.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The ordinary handler, wrapped in the bounded retry loop."""
        handler = super().get_route_handler()

        async def retrying(request: Request) -> Response:
            attempts = _attempts(request)
            attempt = 1
            while True:
                try:
                    return await handler(request)
                except DBAPIError as exc:
                    if attempt >= attempts or not is_retryable(exc):
                        raise
                    pause = PAUSE_SECONDS * 2 ** (attempt - 1) * (1 + random.random())
                    log.warning(
                        "%s %s: transaction aborted (%s); retry %d of %d in %.2fs",
                        request.method,
                        request.url.path,
                        getattr(exc.orig, "sqlstate", None) or exc.orig,
                        attempt,
                        attempts - 1,
                        pause,
                    )
                    attempt += 1
                    await asyncio.sleep(pause)

        return retrying
