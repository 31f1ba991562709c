"""SIGTERM: stop claiming, hand claimed-but-unsubmitted runs back, wait for submitted ones."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from types import ModuleType

from fake_api import FakeApi
from flowyard.schemas.common import StateType
from flowyard.worker.runtime import Worker
from worker_helpers import job, options, running, until


def test_sigterm_hands_claimed_but_unsubmitted_runs_back_to_the_pool(
    api: FakeApi, memory: ModuleType
) -> None:
    memory.RENDER_GATE.clear()
    run = api.schedule("mem")

    async def scenario() -> int:
        worker = Worker(options(), api)
        task = asyncio.create_task(worker.run())
        await until(lambda: run.id in worker.active)
        os.kill(os.getpid(), signal.SIGTERM)
        await until(lambda: worker.draining)
        memory.RENDER_GATE.set()
        return await asyncio.wait_for(task, 10)

    assert asyncio.run(scenario()) == 0
    assert memory.SUBMITTED == []
    assert api.runs[run.id].claim_id is None
    assert api.history[run.id][-1] == (
        StateType.SCHEDULED,
        "Handed back by worker 'w1' (shutting down).",
    )


def test_sigterm_waits_for_submitted_runs_and_claims_nothing_more(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = Worker(options(query_seconds=0.1), api)
        task = asyncio.create_task(worker.run())
        infrastructure = await job(memory, run.id)
        os.kill(os.getpid(), signal.SIGTERM)
        await until(lambda: worker.draining)
        later = api.schedule("mem")
        await asyncio.sleep(0.3)
        assert not task.done()
        assert api.state(later.id) is StateType.SCHEDULED
        api.report(run.id, StateType.COMPLETED)
        infrastructure.exit(0)
        assert await asyncio.wait_for(task, 10) == 0

    asyncio.run(scenario())
    assert api.state(run.id) is StateType.COMPLETED
    assert all(c.limit == 0 for c in api.claims[-2:])


def test_heartbeats_report_the_runs_the_worker_holds(api: FakeApi, memory: ModuleType) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, heartbeat_seconds=0.05, limit=3):
            await until(lambda: any(run.id in h.held_run_ids for h in api.heartbeats))
            (await job(memory, run.id)).exit(0)

    asyncio.run(scenario())
    first = api.heartbeats[0]
    assert (first.name, first.worker_type, first.run_limit) == ("w1", "memory", 3)


def test_a_stopping_worker_tells_the_server_it_left(api: FakeApi, memory: ModuleType) -> None:
    async def scenario() -> None:
        async with running(api):
            await until(lambda: bool(api.claims))
            assert api.stopped == []

    asyncio.run(scenario())
    assert api.stopped == [("mem", "w1")]


def test_a_worker_cancelled_mid_poll_leaves_no_task_behind(api: FakeApi) -> None:
    """How a server stops a push pool's in-server worker: its long-poll (an HTTP call that could
    still claim runs) and the wait beside it end with it, instead of running on unowned."""

    async def scenario() -> list[asyncio.Task[object]]:
        task = asyncio.create_task(Worker(options(query_seconds=5.0), api).run())
        await until(lambda: len(api.claims) >= 1)
        await asyncio.sleep(0.05)  # inside the long-poll
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(scenario()) == []
