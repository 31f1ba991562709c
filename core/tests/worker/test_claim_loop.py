"""The worker's claim loop: what it claims, what it hands the worker type, how runs end."""

from __future__ import annotations

import asyncio
import logging
from types import ModuleType

from fake_api import FakeApi
from flowyard.schemas.common import StateType
from worker_helpers import job, running, until


def test_a_claimed_run_is_submitted_with_the_env_that_tells_the_engine_which_run_it_is(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, run_once=True):
            infrastructure = await job(memory, run.id)
            env, labels = infrastructure.job.env, infrastructure.job.labels
            assert env["FLOWYARD_FLOW_RUN_ID"] == run.id
            assert env["FLOWYARD_CLAIM_ID"] == api.runs[run.id].claim_id
            assert env["FLOWYARD_API_URL"] == api.api_url
            assert labels["flowyard.worker-name"] == "w1"
            infrastructure.exit(0)

    asyncio.run(scenario())


def test_the_env_names_the_runs_deployment_so_the_engine_can_read_both_at_once(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, run_once=True):
            infrastructure = await job(memory, run.id)
            assert run.deployment_id
            assert infrastructure.job.env["FLOWYARD_DEPLOYMENT_ID"] == run.deployment_id
            infrastructure.exit(0)

    asyncio.run(scenario())


def test_the_infrastructure_id_is_reported_once_submitted(api: FakeApi, memory: ModuleType) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api):
            await until(lambda: run.id in api.infrastructure)
            (await job(memory, run.id)).exit(0)

    asyncio.run(scenario())
    assert api.infrastructure[run.id] == f"mem-{run.id}"


def test_job_variables_of_the_run_are_rendered_into_the_job(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem", command="python -m my_flow", env={"LEVEL": "debug"})

    async def scenario() -> None:
        async with running(api):
            infrastructure = await job(memory, run.id)
            assert infrastructure.job.command == "python -m my_flow"
            assert infrastructure.job.env["LEVEL"] == "debug"
            infrastructure.exit(0)

    asyncio.run(scenario())


def crashed_by_exit_3(api: FakeApi, memory: ModuleType) -> str:
    """A run that reported RUNNING and whose infrastructure then exited 3, once the worker has
    crashed it; returns its id."""
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api):
            infrastructure = await job(memory, run.id)
            api.report(run.id, StateType.RUNNING)
            infrastructure.exit(3)
            await until(lambda: api.state(run.id) is StateType.CRASHED)

    asyncio.run(scenario())
    return run.id


def test_a_run_whose_infrastructure_exits_without_a_final_state_is_crashed_with_the_exit_code(
    api: FakeApi, memory: ModuleType
) -> None:
    run_id = crashed_by_exit_3(api, memory)

    message = api.history[run_id][-1][1]
    assert message is not None and "exited with code 3" in message and "RUNNING" in message


def test_why_a_run_was_crashed_is_written_into_its_own_logs(
    api: FakeApi, memory: ModuleType
) -> None:
    run_id = crashed_by_exit_3(api, memory)

    (line,) = api.logs[run_id]
    assert (line.level, line.name) == (logging.ERROR, "flowyard.worker.w1")
    assert line.message == api.history[run_id][-1][1]


def test_a_run_that_reported_its_final_state_is_left_as_it_is(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, run_once=True) as worker:
            infrastructure = await job(memory, run.id)
            api.report(run.id, StateType.FAILED, "ValueError: bad input")
            infrastructure.exit(1)
            await until(lambda: not worker.active)

    asyncio.run(scenario())
    assert api.history[run.id][-1] == (StateType.FAILED, "ValueError: bad input")


def test_a_failing_render_crashes_that_run_only(api: FakeApi, memory: ModuleType) -> None:
    bad = api.schedule("mem", name="unrenderable")
    good = api.schedule("mem")

    async def scenario() -> None:
        async with running(api):
            (await job(memory, good.id)).exit(0)
            await until(lambda: api.state(bad.id) is StateType.CRASHED)

    asyncio.run(scenario())
    assert api.history[bad.id][-1][1] == (
        "The worker could not run this flow run: ValueError: this job cannot be rendered"
    )


def test_only_the_selected_work_queues_are_claimed_from(api: FakeApi, memory: ModuleType) -> None:
    slow = api.schedule("mem", queue="default")
    fast = api.schedule("mem", queue="fast")

    async def scenario() -> None:
        async with running(api, work_queues=["fast"]):
            (await job(memory, fast.id)).exit(0)

    asyncio.run(scenario())
    assert api.claims[0].work_queue_names == ["fast"]
    assert api.state(slow.id) is StateType.SCHEDULED


def test_poll_failures_back_off_and_the_worker_keeps_claiming(
    api: FakeApi, memory: ModuleType
) -> None:
    api.failures = 2
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, query_seconds=0.2) as worker:
            (await job(memory, run.id)).exit(0)
            assert worker.poll_failures == 0

    asyncio.run(scenario())
    assert len(api.claims) >= 3


def test_three_failed_polls_in_a_row_make_the_worker_unhealthy(api: FakeApi) -> None:
    api.failures = 1000

    async def scenario() -> None:
        async with running(api, query_seconds=0.05) as worker:
            await until(lambda: worker.poll_failures >= 3)
            healthy, details = worker.health()
            assert not healthy and details["consecutive_poll_failures"] >= 3

    asyncio.run(scenario())


def test_a_run_whose_engine_reported_its_final_state_is_not_read_after_the_exit(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, run_once=True) as worker:
            infrastructure = await job(memory, run.id)
            api.report(run.id, StateType.COMPLETED)
            infrastructure.exit(0, final_state=StateType.COMPLETED)
            await until(lambda: not worker.active)

    asyncio.run(scenario())
    assert run.id not in api.reads
    assert api.state(run.id) is StateType.COMPLETED


def test_a_run_whose_final_state_is_unknown_is_read_after_the_exit(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem")

    async def scenario() -> None:
        async with running(api, run_once=True) as worker:
            infrastructure = await job(memory, run.id)
            api.report(run.id, StateType.COMPLETED)
            infrastructure.exit(0)
            await until(lambda: not worker.active)

    asyncio.run(scenario())
    assert api.reads == [run.id]


def test_an_infrastructure_id_the_engine_reports_is_not_reported_by_the_worker(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem", env={"MEMORY_ENGINE_REPORTS": "1"})

    async def scenario() -> None:
        async with running(api, run_once=True) as worker:
            infrastructure = await job(memory, run.id)
            api.report(run.id, StateType.COMPLETED)
            infrastructure.exit(0, final_state=StateType.COMPLETED)
            await until(lambda: not worker.active)

    asyncio.run(scenario())
    assert run.id not in api.infrastructure


def test_a_run_that_exits_before_its_engine_reported_where_it_ran_gets_it_from_the_worker(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.schedule("mem", env={"MEMORY_ENGINE_REPORTS": "1"})

    async def scenario() -> None:
        async with running(api) as worker:
            (await job(memory, run.id)).exit(3)
            await until(lambda: api.state(run.id) is StateType.CRASHED and not worker.active)

    asyncio.run(scenario())
    assert api.infrastructure[run.id] == f"mem-{run.id}"
