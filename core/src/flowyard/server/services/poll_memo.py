"""Which polls this replica has recorded in the last second, so a busy claimer's requests do not
read the queues' ``last_polled`` again each time.

A queue's ``last_polled`` is written at most once a second (:data:`RECORD_EVERY_SECONDS`): a
claim first reads which of its queues are older than that. A pool claimed many times a second
would read that on every claim to learn, almost always, that nothing is stale. The memo keeps,
per (pool, queue names), when this replica last found the poll fresh or recorded it; within the
second after that the claim neither reads nor writes it. Other replicas keep their own memo, and
the memo never makes ``last_polled`` older than a second plus one claim's time.
"""

from __future__ import annotations

import threading
import time

RECORD_EVERY_SECONDS = 1.0
"""A queue's ``last_polled`` is refreshed when it is older than this."""

_MAX_ENTRIES = 4096


class PollMemo:
    """When (monotonic seconds) a poll of (pool name, queue names) was last known fresh here."""

    def __init__(self) -> None:
        self._fresh_at: dict[tuple[str, tuple[str, ...]], float] = {}
        self._lock = threading.Lock()

    def is_fresh(self, pool_name: str, queue_names: list[str]) -> bool:
        """The poll was recorded (or found recorded) here less than a second ago."""
        seen = self._fresh_at.get((pool_name, tuple(queue_names)))
        return seen is not None and time.monotonic() - seen < RECORD_EVERY_SECONDS

    def mark(self, pool_name: str, queue_names: list[str], since: float) -> None:
        """The poll is fresh as of ``since`` (``time.monotonic()`` taken before it was read)."""
        with self._lock:
            if len(self._fresh_at) >= _MAX_ENTRIES:  # names come from clients: stay bounded
                self._fresh_at.clear()
            self._fresh_at[(pool_name, tuple(queue_names))] = since
