"""Cancellation: a held run the server says is CANCELLING is killed, then CANCELLED."""

from __future__ import annotations

import asyncio
from types import ModuleType

from fake_api import FakeApi
from flowyard.schemas.common import StateType
from flowyard.worker.runtime import Worker
from worker_helpers import finish, options, start, until


def test_a_cancelled_running_run_has_its_infrastructure_killed_and_ends_cancelled(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = Worker(options(), api)
        task = start(worker)
        await until(lambda: run.id in api.infrastructure)
        api.report(run.id, StateType.RUNNING)
        api.cancel(run.id)
        await until(lambda: api.state(run.id) is StateType.CANCELLED)
        worker.stop()
        await finish(task)

    asyncio.run(scenario())
    assert [f"mem-{run.id}"] == memory.KILLED
    # whichever notices first (the kill's caller or the run's observer) sets it, once
    cancelled = [message for state, message in api.history[run.id] if state is StateType.CANCELLED]
    assert cancelled in (
        ["Cancelled: worker 'w1' stopped its infrastructure."],
        ["Infrastructure stopped."],
    )


def test_a_run_cancelled_before_it_was_submitted_is_never_submitted(
    api: FakeApi, memory: ModuleType
) -> None:
    memory.RENDER_GATE.clear()
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = Worker(options(query_seconds=0.1), api)
        task = start(worker)
        await until(lambda: run.id in worker.active)
        api.cancel(run.id)
        await until(lambda: worker.active[run.id].cancel_requested)
        memory.RENDER_GATE.set()
        await until(lambda: not worker.active)
        worker.stop()
        await finish(task)

    asyncio.run(scenario())
    assert memory.SUBMITTED == []
    assert api.history[run.id][-1] == (StateType.CANCELLED, "Cancelled before it was submitted.")


def test_a_cancelled_run_whose_infrastructure_already_ended_is_cancelled_without_a_kill(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = Worker(options(), api)
        task = start(worker)
        await until(lambda: run.id in api.infrastructure)
        infrastructure = memory.RUNNING[f"mem-{run.id}"]
        api.cancel(run.id)
        infrastructure.exit(0)  # it ends on its own before the kill arrives
        await until(lambda: api.state(run.id) is StateType.CANCELLED)
        worker.stop()
        await finish(task)

    asyncio.run(scenario())
    assert memory.KILLED == []
    cancelled = [message for state, message in api.history[run.id] if state is StateType.CANCELLED]
    assert cancelled in (
        ["Cancelled: its infrastructure had already exited."],
        ["Infrastructure stopped."],
    )
