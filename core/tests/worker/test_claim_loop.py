"""The worker's claim loop: what it claims, what it hands the worker type, how runs end."""

from __future__ import annotations

import asyncio
from types import ModuleType

from fake_api import FakeApi
from flowyard.schemas.common import StateType
from flowyard.worker.runtime import Worker
from worker_helpers import finish, options, start, until


def test_a_claimed_run_is_submitted_with_the_env_that_tells_the_engine_which_run_it_is(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = start(Worker(options(run_once=True), api))
        await until(lambda: run.id in memory.SUBMITTED)
        job = memory.RUNNING[f"mem-{run.id}"].job
        assert job.env["FLOWYARD_FLOW_RUN_ID"] == run.id
        assert job.env["FLOWYARD_CLAIM_ID"] == api.runs[run.id].claim_id
        assert job.env["FLOWYARD_API_URL"] == api.api_url
        assert job.labels["flowyard.worker-name"] == "w1"
        api.report(run.id, StateType.COMPLETED)
        memory.RUNNING[f"mem-{run.id}"].exit(0)
        assert await finish(worker) == 0

    asyncio.run(scenario())
    assert api.state(run.id) is StateType.COMPLETED


def test_the_infrastructure_id_is_reported_once_submitted(api: FakeApi, memory: ModuleType) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = start(Worker(options(run_once=True), api))
        await until(lambda: run.id in api.infrastructure)
        api.report(run.id, StateType.COMPLETED)
        memory.RUNNING[f"mem-{run.id}"].exit(0)
        await finish(worker)

    asyncio.run(scenario())
    assert api.infrastructure[run.id] == f"mem-{run.id}"


def test_job_variables_of_the_run_are_rendered_into_the_job(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem", command="python -m my_flow", env={"LEVEL": "debug"})

    async def scenario() -> None:
        worker = start(Worker(options(run_once=True), api))
        await until(lambda: run.id in memory.SUBMITTED)
        job = memory.RUNNING[f"mem-{run.id}"].job
        assert job.command == "python -m my_flow"
        assert job.env["LEVEL"] == "debug"
        memory.RUNNING[f"mem-{run.id}"].exit(0)
        await finish(worker)

    asyncio.run(scenario())


def test_a_run_whose_infrastructure_exits_without_a_final_state_is_crashed_with_the_exit_code(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = start(Worker(options(run_once=True), api))
        await until(lambda: run.id in memory.SUBMITTED)
        api.report(run.id, StateType.RUNNING)
        memory.RUNNING[f"mem-{run.id}"].exit(3)
        await finish(worker)

    asyncio.run(scenario())
    state, message = api.history[run.id][-1]
    assert state is StateType.CRASHED
    assert message is not None and "exited with code 3" in message and "RUNNING" in message


def test_a_run_that_reported_its_final_state_is_left_as_it_is(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = start(Worker(options(run_once=True), api))
        await until(lambda: run.id in memory.SUBMITTED)
        api.report(run.id, StateType.FAILED, "ValueError: bad input")
        memory.RUNNING[f"mem-{run.id}"].exit(1)
        await finish(worker)

    asyncio.run(scenario())
    assert api.history[run.id][-1] == (StateType.FAILED, "ValueError: bad input")


def test_a_failing_render_crashes_that_run_only(api: FakeApi, memory: ModuleType) -> None:
    bad = api.schedule("mem", name="unrenderable")
    good = api.schedule("mem")

    async def scenario() -> None:
        worker = start(Worker(options(run_once=True), api))
        await until(lambda: good.id in memory.SUBMITTED)
        api.report(good.id, StateType.COMPLETED)
        memory.RUNNING[f"mem-{good.id}"].exit(0)
        await finish(worker)

    asyncio.run(scenario())
    assert api.state(good.id) is StateType.COMPLETED
    state, message = api.history[bad.id][-1]
    assert state is StateType.CRASHED
    assert (
        message == "The worker could not run this flow run: ValueError: this job cannot be rendered"
    )


def test_only_the_selected_work_queues_are_claimed_from(api: FakeApi, memory: ModuleType) -> None:
    slow = api.schedule("mem", queue="default")
    fast = api.schedule("mem", queue="fast")

    async def scenario() -> None:
        worker = start(Worker(options(run_once=True, work_queues=["fast"]), api))
        await until(lambda: fast.id in memory.SUBMITTED)
        memory.RUNNING[f"mem-{fast.id}"].exit(0)
        await finish(worker)

    asyncio.run(scenario())
    assert api.claims[0].work_queue_names == ["fast"]
    assert api.state(slow.id) is StateType.SCHEDULED


def test_poll_failures_back_off_and_the_worker_keeps_claiming(
    api: FakeApi, memory: ModuleType
) -> None:
    api.failures = 2
    run = api.schedule("mem")

    async def scenario() -> None:
        worker = Worker(options(run_once=True, query_seconds=0.2), api)
        task = start(worker)
        await until(lambda: run.id in memory.SUBMITTED)
        assert worker.poll_failures == 0
        memory.RUNNING[f"mem-{run.id}"].exit(0)
        await finish(task)

    asyncio.run(scenario())
    assert len(api.claims) >= 3


def test_three_failed_polls_in_a_row_make_the_worker_unhealthy(
    api: FakeApi, memory: ModuleType
) -> None:
    api.failures = 1000

    async def scenario() -> None:
        worker = Worker(options(query_seconds=0.05), api)
        task = start(worker)
        await until(lambda: worker.poll_failures >= 3)
        healthy, details = worker.health()
        assert not healthy and details["consecutive_poll_failures"] >= 3
        worker.stop()
        await finish(task)

    asyncio.run(scenario())
