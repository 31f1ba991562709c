"""Run a worker beside a test's own steps, with options for fast tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Any

from flowyard.worker.api import WorkerApi
from flowyard.worker.runtime import Worker, WorkerOptions


def options(**overrides: Any) -> WorkerOptions:
    """Worker options for fast tests: pool ``mem``, short long-polls, no install prompts."""
    values: dict[str, Any] = {
        "pool": "mem",
        "name": "w1",
        "query_seconds": 0.5,
        "heartbeat_seconds": 60.0,
        "kill_grace_seconds": 1.0,
        "install_policy": "never",
    }
    return WorkerOptions(**{**values, **overrides})


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (checked every 10 ms); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running(api: WorkerApi, **overrides: Any) -> AsyncIterator[Worker]:
    """A worker running beside the block; stopped after it, and its exit code checked (0)."""
    worker = Worker(options(**overrides), api)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        assert await asyncio.wait_for(task, 10) == 0


async def job(memory: ModuleType, run_id: str) -> Any:
    """The ``memory`` infrastructure of run ``run_id``, once the worker has submitted it."""
    await until(lambda: run_id in memory.SUBMITTED)
    return memory.RUNNING[f"mem-{run_id}"]


def serve(api: WorkerApi, steps: Callable[[Worker], Awaitable[None]], **overrides: Any) -> None:
    """Run a worker until ``steps(worker)`` (the test's side of the scenario) are done."""

    async def main() -> None:
        async with running(api, **overrides) as worker:
            await steps(worker)

    asyncio.run(main())
