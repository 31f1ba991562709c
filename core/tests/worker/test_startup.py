"""Worker start-up: the pool is found (or created with ``--type``), queues are checked."""

from __future__ import annotations

import asyncio
from types import ModuleType

import pytest
from fake_api import FakeApi
from flowyard.worker.runtime import Worker
from flowyard.worker.startup import WorkerStartupError
from worker_helpers import options


def test_a_missing_pool_without_a_type_is_a_startup_error_saying_how_to_create_it(
    api: FakeApi,
) -> None:
    with pytest.raises(WorkerStartupError, match="flowyard work-pool create nopool --type"):
        asyncio.run(Worker(options(pool="nopool"), api).setup())


def test_a_missing_pool_with_a_type_is_created_with_that_types_default_template(
    api: FakeApi, memory: ModuleType
) -> None:
    asyncio.run(Worker(options(pool="new", worker_type="memory"), api).setup())
    assert api.pools["new"].type == "memory"
    assert api.pools["new"].base_job_template == memory.default_base_job_template()


def test_a_pool_of_another_type_is_a_startup_error(api: FakeApi) -> None:
    api.add_pool("procs", "process")
    with pytest.raises(WorkerStartupError, match="is of type 'process', not 'memory'"):
        asyncio.run(Worker(options(pool="procs", worker_type="memory"), api).setup())


def test_an_unknown_work_queue_is_a_startup_error_naming_it(api: FakeApi) -> None:
    with pytest.raises(WorkerStartupError, match="'nope' not found in pool 'mem'"):
        asyncio.run(Worker(options(work_queues=["fast", "nope"]), api).setup())


def test_setup_loads_the_pools_type_and_sends_a_first_heartbeat(api: FakeApi) -> None:
    worker = Worker(options(), api)
    asyncio.run(worker.setup())
    assert worker.worker_type == "memory"
    assert [h.name for h in api.heartbeats] == ["w1"]
