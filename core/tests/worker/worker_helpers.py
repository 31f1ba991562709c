"""Run a worker beside a test's own steps, with options for fast tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from flowyard.worker.runtime import Worker, WorkerOptions


def options(**overrides: object) -> WorkerOptions:
    """Worker options for fast tests: short long-polls, no install prompts."""
    values: dict[str, object] = {
        "pool": "mem",
        "name": "w1",
        "query_seconds": 0.5,
        "heartbeat_seconds": 60.0,
        "kill_grace_seconds": 1.0,
        "install_policy": "never",
    }
    return WorkerOptions(**{**values, **overrides})  # type: ignore[arg-type]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (checked every 10 ms); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        await asyncio.sleep(0.01)


async def finish(worker_run: asyncio.Task[int], timeout: float = 10.0) -> int:
    """The worker's exit code, once it has stopped."""
    return await asyncio.wait_for(worker_run, timeout)


def start(worker: Worker) -> asyncio.Task[int]:
    """Run ``worker`` as a task beside the test's own steps."""
    return asyncio.create_task(worker.run())
