"""The push service: in every replica, one submitter per push pool, each on its own thread.

Each :class:`~flowyard.server.push.submitter.PushSubmitter` runs its own asyncio loop on a
thread, so its blocking hook calls (one thread per observed run) never touch the server's
request loop, and it calls the server's API over loopback like any worker. The service looks
for new and deleted push pools every ``server_loop_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import sqlalchemy as sa

from flowyard.plugins import worker_types
from flowyard.pool_types import PUSH_SUFFIX, worker_type_of
from flowyard.server import tables as t
from flowyard.server.services.context import ServerContext

log = logging.getLogger("flowyard.server.push")


@dataclass
class _Served:
    """One pool's submitter thread and how to stop it."""

    thread: threading.Thread
    loop: asyncio.AbstractEventLoop | None = None
    task: asyncio.Task[None] | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.ready.wait(5)
        if self.loop is not None and self.task is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # its loop has already ended
                self.loop.call_soon_threadsafe(self.task.cancel)


RESTART_SECONDS = 30.0
"""How long a submitter that failed waits before it is started again."""


def push_pool_names(ctx: ServerContext) -> set[str]:
    """Names of the push pools (type ending in ``:push``) whose worker type is installed here.

    A pool whose type is not installed is not served by this replica (its status says why).
    The installed types (entry-point metadata, read from the package files) are looked up only
    when there is a push pool: this runs every ``server_loop_seconds``.
    """
    with ctx.db.read() as conn:
        rows = conn.execute(
            sa.select(t.work_pool.c.name, t.work_pool.c.type).where(
                t.work_pool.c.type.like("%" + PUSH_SUFFIX)
            )
        ).all()
    if not rows:
        return set()
    installed = worker_types().installed()
    return {row.name for row in rows if worker_type_of(row.type) in installed}


class PushService:
    """Starts and stops this replica's submitters as push pools come and go."""

    def __init__(self, ctx: ServerContext) -> None:
        from flowyard.server.push.identity import api_url, issue_key, submitter_name

        self.ctx = ctx
        self.name = submitter_name(ctx.settings)
        self.api_url = api_url(ctx.settings)
        self.key = issue_key(ctx)
        self.served: dict[str, _Served] = {}
        self.failed_at: dict[str, float] = {}

    async def run(self) -> None:
        """Reconcile the served pools every ``server_loop_seconds`` until cancelled."""
        try:
            while True:
                try:
                    names = await asyncio.to_thread(push_pool_names, self.ctx)
                    self.reconcile(names)
                except Exception:
                    log.exception("push service: listing push pools failed; retrying")
                await asyncio.sleep(self.ctx.settings.server_loop_seconds)
        finally:
            self.stop_all()

    def reconcile(self, names: set[str]) -> None:
        """Start a submitter for each new pool; stop those of deleted pools (or dead threads)."""
        now = time.monotonic()
        for name in list(self.served):
            if name not in names:
                self.served.pop(name).stop()
            elif not self.served[name].thread.is_alive():
                self.served.pop(name).stop()
                self.failed_at[name] = now
        for name in sorted(names - set(self.served)):
            if now - self.failed_at.get(name, -RESTART_SECONDS) < RESTART_SECONDS:
                continue
            served = _Served(
                thread=threading.Thread(
                    target=self._serve, args=(name,), name=f"push-{name}", daemon=True
                )
            )
            self.served[name] = served
            served.thread.start()

    def _serve(self, pool: str) -> None:
        served = self.served[pool]
        loop = asyncio.new_event_loop()
        loop.set_default_executor(ThreadPoolExecutor(256, thread_name_prefix=f"push-{pool}"))
        served.loop = loop
        try:
            served.task = loop.create_task(self._submitter(pool))
            served.ready.set()
            loop.run_until_complete(served.task)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("push service: the submitter of pool '%s' failed; restarting it", pool)
        finally:
            served.ready.set()
            loop.close()

    async def _submitter(self, pool: str) -> None:
        from flowyard.client.aio import AsyncFlowyardClient
        from flowyard.server.push.submitter import PushSubmitter

        client = AsyncFlowyardClient(api_url=self.api_url, api_key=self.key or "")
        await PushSubmitter(self.ctx, pool, self.name, client).serve()

    def stop_all(self) -> None:
        """Stop every submitter (runs they observe go on; see :meth:`PushSubmitter.serve`)."""
        for served in self.served.values():
            served.stop()
        self.served.clear()
