"""Cancellation: a held run the server says is CANCELLING is killed, then CANCELLED."""

from __future__ import annotations

from types import ModuleType

from fake_api import FakeApi
from flowyard.schemas.common import StateType
from flowyard.schemas.runs import FlowRun
from flowyard.worker.runtime import Worker
from worker_helpers import job, serve, until


def _cancellations(api: FakeApi, run_id: str) -> list[str | None]:
    return [message for state, message in api.history[run_id] if state is StateType.CANCELLED]


def test_a_cancelled_running_run_has_its_infrastructure_killed_and_ends_cancelled(
    api: FakeApi, memory: ModuleType, run: FlowRun
) -> None:
    async def steps(worker: Worker) -> None:
        await job(memory, run.id)
        api.report(run.id, StateType.RUNNING)
        api.cancel(run.id)
        await until(lambda: api.state(run.id) is StateType.CANCELLED)

    serve(api, steps)
    assert [f"mem-{run.id}"] == memory.KILLED
    # whichever notices first (the kill's caller or the run's observer) sets it, once
    assert _cancellations(api, run.id) in (
        ["Cancelled: worker 'w1' stopped its infrastructure."],
        ["Infrastructure stopped."],
    )


def test_a_run_cancelled_before_it_was_submitted_is_never_submitted(
    api: FakeApi, memory: ModuleType, run: FlowRun
) -> None:
    memory.RENDER_GATE.clear()

    async def steps(worker: Worker) -> None:
        await until(lambda: run.id in worker.active)
        api.cancel(run.id)
        await until(lambda: worker.active[run.id].cancel_requested)
        memory.RENDER_GATE.set()
        await until(lambda: not worker.active)

    serve(api, steps, query_seconds=0.1)
    assert memory.SUBMITTED == []
    assert _cancellations(api, run.id) == ["Cancelled before it was submitted."]


def test_a_cancelled_run_whose_infrastructure_already_ended_is_cancelled_without_a_kill(
    api: FakeApi, memory: ModuleType, run: FlowRun
) -> None:
    async def steps(worker: Worker) -> None:
        infrastructure = await job(memory, run.id)
        api.cancel(run.id)
        infrastructure.exit(0)  # it ends on its own before the kill arrives
        await until(lambda: api.state(run.id) is StateType.CANCELLED)

    serve(api, steps)
    assert memory.KILLED == []
    assert _cancellations(api, run.id) in (
        ["Cancelled: its infrastructure had already exited."],
        ["Infrastructure stopped."],
    )
