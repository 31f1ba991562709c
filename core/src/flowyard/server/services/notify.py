"""Wake long-polling claimers when something in their pool changes.

In-process only (several replicas still work: claimers also re-check on a short timer).
``notify`` may be called from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Notifier:
    """Per-pool wake-ups for waiting asyncio tasks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def notify(self, pool_id: str | None) -> None:
        """Wake every waiter of ``pool_id`` (None: nothing to wake)."""
        if pool_id is None:
            return
        with self._lock:
            waiters = list(self._waiters.get(pool_id, ()))
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # the waiter's loop has closed
                loop.call_soon_threadsafe(event.set)

    async def wait(self, pool_id: str, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a notification; True if one came."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.setdefault(pool_id, set()).add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.get(pool_id, set()).discard(entry)
