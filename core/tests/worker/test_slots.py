"""Slot accounting with ``--limit``: never more runs at once, a freed slot is refilled at once."""

from __future__ import annotations

import asyncio
import os
import time
from types import ModuleType

from fake_api import FakeApi
from flowyard.schemas.common import StateType
from flowyard.worker.runtime import CLAIM_BATCH, hook_threads
from worker_helpers import job, running, until


def _running(memory: ModuleType) -> list[str]:
    return [i for i, infra in memory.RUNNING.items() if not infra.exited.is_set()]


def test_a_worker_with_a_limit_holds_at_most_that_many_runs(
    api: FakeApi, memory: ModuleType
) -> None:
    runs = [api.schedule("mem") for _ in range(4)]

    async def scenario() -> None:
        async with running(api, limit=2) as worker:
            await until(lambda: len(memory.SUBMITTED) == 2)
            await asyncio.sleep(0.3)  # more polls happen while full
            assert len(memory.SUBMITTED) == 2 and len(worker.active) == 2
            assert [api.state(r.id) for r in runs].count(StateType.SCHEDULED) == 2
            for run in runs:
                infrastructure = await job(memory, run.id)
                assert len(_running(memory)) <= 2
                infrastructure.exit(0)

    asyncio.run(scenario())
    assert max(c.limit for c in api.claims) == 2


def test_a_full_worker_polls_for_no_runs_but_keeps_watching_its_runs(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")
    api.schedule("mem")

    async def scenario() -> None:
        async with running(api, limit=1, query_seconds=0.1):
            await until(lambda: len(api.claims) >= 3)
            (await job(memory, run.id)).exit(0)

    asyncio.run(scenario())
    full = [c for c in api.claims[1:] if c.held_run_ids == [run.id]]
    assert full and all(c.limit == 0 for c in full)


def test_a_freed_slot_is_refilled_without_waiting_for_the_long_poll_to_end(
    api: FakeApi, memory: ModuleType
) -> None:
    first, second = api.schedule("mem"), api.schedule("mem")

    async def scenario() -> None:
        async with running(api, limit=1, query_seconds=30):
            infrastructure = await job(memory, first.id)
            await asyncio.sleep(0.1)  # the worker is now long-polling with limit 0
            freed = time.monotonic()
            infrastructure.exit(0)
            await until(lambda: second.id in memory.SUBMITTED, timeout=5)
            assert time.monotonic() - freed < 2
            (await job(memory, second.id)).exit(0)

    asyncio.run(scenario())


def test_a_worker_without_a_limit_claims_batches_and_holds_more_runs_than_cpus(
    api: FakeApi, memory: ModuleType
) -> None:
    runs = [api.schedule("mem") for _ in range(CLAIM_BATCH + 2)]

    async def scenario() -> None:
        async with running(api):
            await until(lambda: len(memory.SUBMITTED) == len(runs))
            for run in runs:
                (await job(memory, run.id)).exit(0)

    asyncio.run(scenario())
    assert api.claims[0].limit == CLAIM_BATCH
    assert len(memory.SUBMITTED) > (os.cpu_count() or 1) + 4  # asyncio's default thread pool


def test_hook_threads_leave_room_for_every_held_run() -> None:
    assert hook_threads(3) >= 3 + 1
    assert hook_threads(None) > CLAIM_BATCH * 10


def test_a_slot_is_released_when_a_run_fails_to_render(api: FakeApi, memory: ModuleType) -> None:
    api.schedule("mem", name="unrenderable")
    good = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, limit=1):
            (await job(memory, good.id)).exit(0)

    asyncio.run(scenario())
