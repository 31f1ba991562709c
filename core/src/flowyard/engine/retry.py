"""The engine's client: it rides out a server outage instead of crashing the run.

A flow run's engine needs the server at its start, for each state change and for its logs; a
server restart of a few seconds used to crash every run that called it then ("Cannot reach the
flowyard server", exit 2). :class:`RetryingClient` retries with exponential backoff for up to
``engine_outage_seconds`` (setting, default 120 s). It retries only what is safe to repeat: any
request the server never received (connection refused or reset before sending), any GET, a
state proposal (the server answers a repeated one without a second state: `Call.repeatable`), and
answers of a proxy or a server that is starting or stopping (502, 503, 504). The log shipper uses
the same client, so log lines wait in its queue during an outage instead of being dropped.
"""

from __future__ import annotations

import time
from typing import Any

from flowyard.client import FlowyardClient
from flowyard.client._httpx import httpx
from flowyard.client.call import Call, T
from flowyard.client.defaults import env_number
from flowyard.client.errors import ApiError, ServerUnreachable

RETRIED_STATUSES = frozenset({502, 503, 504})
MAX_DELAY_SECONDS = 5.0
DEFAULT_OUTAGE_SECONDS = 120.0
"""The default of the setting ``engine_outage_seconds`` (:class:`flowyard.settings.Settings`)."""


def outage_seconds_setting() -> float:
    """``FLOWYARD_ENGINE_OUTAGE_SECONDS`` (default 120), read without building the settings.

    A run's engine reads only this setting; building :class:`~flowyard.settings.Settings` would
    import pydantic-settings (~30 ms) and validate every field on the way to the flow body.
    """
    return env_number(
        "FLOWYARD_ENGINE_OUTAGE_SECONDS",
        float,
        DEFAULT_OUTAGE_SECONDS,
        minimum=0.0,
        expected="a number of seconds >= 0",
    )


def _safe_to_repeat(call: Call[T], exc: Exception) -> bool:
    if isinstance(exc, ApiError):
        return exc.status in RETRIED_STATUSES
    never_sent = isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout)
    return never_sent or call.method.upper() == "GET" or call.repeatable


class RetryingClient(FlowyardClient):
    """A :class:`FlowyardClient` whose calls retry through an outage of ``outage_seconds``."""

    def __init__(self, outage_seconds: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outage_seconds = outage_seconds_setting() if outage_seconds is None else outage_seconds

    def send(self, call: Call[T]) -> T:
        """Send a call, retrying safe failures with backoff until the outage budget is spent."""
        deadline = time.monotonic() + self.outage_seconds
        delay = 0.25
        while True:
            try:
                return super().send(call)
            except (ServerUnreachable, ApiError) as exc:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not _safe_to_repeat(call, exc):
                    raise
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, MAX_DELAY_SECONDS)
