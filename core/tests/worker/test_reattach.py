"""Re-attaching after a restart: a worker holds again the runs a worker of its name had submitted
and observes them to the end, when its type implements ``reattach``."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from fake_api import FakeApi
from flowyard.schemas.common import StateType
from flowyard.worker.runtime import Worker
from worker_helpers import serve, until


def _held(api: FakeApi, run_id: str) -> bool:
    """Whether the worker has named the run among its held runs in any claim or heartbeat."""
    return any(run_id in c.held_run_ids for c in api.claims) or any(
        run_id in h.held_run_ids for h in api.heartbeats
    )


def _finish(api: FakeApi, run_id: str, infrastructure: Any) -> None:
    """The run completes on its own and its infrastructure exits."""
    api.report(run_id, StateType.COMPLETED)
    infrastructure.exit(0)


def test_a_restarted_worker_observes_a_run_it_had_submitted_and_crashes_it_on_a_failed_exit(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.submitted_by("w1")
    infrastructure = memory.leave_running(run.id)

    async def steps(worker: Worker) -> None:
        await until(lambda: bool(memory.REATTACHED))
        infrastructure.exit(3, "The job exited with code 3.")
        await until(lambda: api.state(run.id) is StateType.CRASHED)

    serve(api, steps)
    message = api.runs[run.id].state_message or ""
    assert message.startswith("The job exited with code 3.")
    assert "RUNNING and never reported a final state" in message
    assert [line.message for line in api.logs[run.id]] == [message]


def test_a_reattached_run_that_completes_on_its_own_is_left_completed(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.submitted_by("w1")
    infrastructure = memory.leave_running(run.id)

    async def steps(worker: Worker) -> None:
        await until(lambda: bool(memory.REATTACHED))
        _finish(api, run.id, infrastructure)
        await until(lambda: not worker.active)

    serve(api, steps)
    assert [state for state, _ in api.history[run.id]][-1] is StateType.COMPLETED
    assert run.id not in api.logs


def test_the_job_is_rendered_again_as_at_submission_with_the_same_claim(
    api: FakeApi, memory: ModuleType
) -> None:
    api.add_deployment("deployment-1", command="python -m from.deployment", name="deployment")
    run = api.submitted_by("w1", name="from-the-run")
    infrastructure = memory.leave_running(run.id)

    async def steps(worker: Worker) -> None:
        await until(lambda: bool(memory.REATTACHED))
        _finish(api, run.id, infrastructure)

    serve(api, steps)
    [(infrastructure_id, job, info)] = memory.REATTACHED
    assert infrastructure_id == f"mem-{run.id}"
    assert job.command == "python -m from.deployment"  # deployment < flow run
    assert job.name == "from-the-run"
    assert job.env["FLOWYARD_FLOW_RUN_ID"] == run.id
    assert job.env["FLOWYARD_CLAIM_ID"] == run.claim_id == info.claim_id
    assert job.labels["flowyard.worker-name"] == "w1"


def test_a_reattached_run_is_held_so_its_lease_is_renewed(api: FakeApi, memory: ModuleType) -> None:
    run = api.submitted_by("w1", state=StateType.PENDING)
    infrastructure = memory.leave_running(run.id)

    async def steps(worker: Worker) -> None:
        await until(lambda: bool(memory.REATTACHED))
        await until(lambda: any(run.id in c.held_run_ids for c in api.claims))
        _finish(api, run.id, infrastructure)

    serve(api, steps)
    assert run.id in api.heartbeats[-1].held_run_ids  # the heartbeat right after adopting it


def test_reattached_runs_take_the_workers_slots(api: FakeApi, memory: ModuleType) -> None:
    adopted = api.submitted_by("w1")
    infrastructure = memory.leave_running(adopted.id)
    waiting = api.schedule("mem")

    async def steps(worker: Worker) -> None:
        await until(lambda: bool(memory.REATTACHED))
        await until(lambda: len(api.claims) >= 3)
        assert api.state(waiting.id) is StateType.SCHEDULED  # the only slot is taken
        _finish(api, adopted.id, infrastructure)
        await until(lambda: waiting.id in memory.SUBMITTED)
        _finish(api, waiting.id, memory.RUNNING[f"mem-{waiting.id}"])

    serve(api, steps, limit=1, query_seconds=0.05)


def test_a_run_submitted_by_a_worker_of_another_name_is_not_adopted(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.submitted_by("w2")
    memory.leave_running(run.id)

    async def steps(worker: Worker) -> None:
        await until(lambda: len(api.claims) >= 2)

    serve(api, steps)
    assert memory.REATTACHED == []
    assert not _held(api, run.id)
    assert api.state(run.id) is StateType.RUNNING


def test_a_run_whose_claim_was_handed_back_is_claimed_afresh_not_reattached(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.submitted_by("w1", state=StateType.PENDING)
    memory.leave_running(run.id)
    api.report(run.id, StateType.SCHEDULED)  # its lease expired: back in the pool, no one's

    async def steps(worker: Worker) -> None:
        await until(lambda: run.id in memory.SUBMITTED)
        _finish(api, run.id, memory.RUNNING[f"mem-{run.id}"])

    serve(api, steps)
    assert memory.REATTACHED == []


def test_a_claimed_run_that_was_never_submitted_is_left_for_its_lease_to_expire(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.submitted_by("w1", state=StateType.PENDING)
    api.runs[run.id] = api.runs[run.id].model_copy(update={"infrastructure_id": None})

    async def steps(worker: Worker) -> None:
        await until(lambda: len(api.claims) >= 2)

    serve(api, steps)
    assert memory.REATTACHED == [] and memory.SUBMITTED == []
    assert not _held(api, run.id)
    assert api.state(run.id) is StateType.PENDING


def test_a_run_whose_infrastructure_is_gone_is_crashed_saying_so(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.submitted_by("w1")  # and no job left running

    async def steps(worker: Worker) -> None:
        await until(lambda: api.state(run.id) is StateType.CRASHED)

    serve(api, steps)
    message = api.runs[run.id].state_message or ""
    assert message.startswith(
        f"Its infrastructure was gone when worker 'w1' restarted: No job 'mem-{run.id}'."
    )


def test_a_reattached_run_being_cancelled_is_killed_and_ends_cancelled(
    api: FakeApi, memory: ModuleType
) -> None:
    run = api.submitted_by("w1", state=StateType.CANCELLING)
    memory.leave_running(run.id)

    async def steps(worker: Worker) -> None:
        await until(lambda: api.state(run.id) is StateType.CANCELLED)

    serve(api, steps)
    assert [f"mem-{run.id}"] == memory.KILLED


def test_a_run_the_type_cannot_reattach_to_is_left_alone(api: FakeApi, memory: ModuleType) -> None:
    run = api.submitted_by("w1")
    memory.leave_running(run.id)
    memory.CAN_REATTACH.clear()

    async def steps(worker: Worker) -> None:
        await until(lambda: len(api.claims) >= 2 and not worker.active)

    serve(api, steps)
    assert api.state(run.id) is StateType.RUNNING
    assert run.id not in api.logs


def test_a_type_without_the_reattach_hook_adopts_nothing(
    api: FakeApi, memory: ModuleType, plain_memory_type: str
) -> None:
    api.add_pool("plain", plain_memory_type)
    run = api.submitted_by("w1", pool="plain")
    memory.leave_running(run.id)

    async def steps(worker: Worker) -> None:
        await until(lambda: len(api.claims) >= 2)

    serve(api, steps, pool="plain")
    assert not _held(api, run.id)
    assert api.state(run.id) is StateType.RUNNING
