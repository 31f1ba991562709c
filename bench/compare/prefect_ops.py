"""Operations on the peer (Prefect 3.9.1), run with the peer's own interpreter by ``compare.py``.

Each subcommand prints one JSON object on stdout; timings are taken inside, so this process's own
start-up (importing Prefect, ~2 s) is never part of a figure. Not imported by flowyard.
``setup DIR``: pools ``bench`` and ``claims`` (process), deployments ``stamp/d`` and ``stamp/c`` of
``DIR/bench_flow.py``.
``dispatch DEPLOYMENT DIR N``: N runs one at a time; creation -> flow body start of each.
``create DEPLOYMENT N``: N runs due now, one request each; the rate.
``claim N``: N runs of pool ``claims`` claimed (Pending) by one claimer taking up to 50 per poll; the rate.
``finish DEPLOYMENT N``: N runs due now, then until all are final; completed per second.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter
from prefect.states import Pending

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


async def setup(directory: str) -> dict[str, Any]:
    ids = {}
    async with get_client() as client:
        flow_id = await client.create_flow_from_name("stamp")
        for pool, name in (("bench", "d"), ("claims", "c")):
            await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            ids[pool] = await client.create_deployment(
                flow_id,
                name,
                work_pool_name=pool,
                entrypoint="bench_flow.py:stamp",
                path=directory,
                pull_steps=[
                    {"prefect.deployments.steps.set_working_directory": {"directory": directory}}
                ],
            )
    return {"deployment_id": str(ids["bench"]), "claims_deployment_id": str(ids["claims"])}


async def dispatch(deployment_id: str, directory: str, n: int) -> dict[str, Any]:
    latencies = []
    async with get_client() as client:
        for i in range(n):
            out = Path(directory) / f"stamp-{i}"
            created = time.time()
            await client.create_flow_run_from_deployment(
                UUID(deployment_id), parameters={"out": str(out)}
            )
            deadline = time.monotonic() + 120
            while not out.exists() or not out.read_text():
                if time.monotonic() > deadline:
                    return {"error": f"run {i} did not start within 120 s", "done": latencies}
                await asyncio.sleep(0.01)
            latencies.append(float(out.read_text()) - created)
            await asyncio.sleep(0.3)
    return {"latencies": latencies}


async def create(deployment_id: str, n: int) -> dict[str, Any]:
    async with get_client() as client:
        started = time.perf_counter()
        for _ in range(n):
            await client.create_flow_run_from_deployment(UUID(deployment_id))
        elapsed = time.perf_counter() - started
    return {"runs": n, "seconds": elapsed}


async def claim(n: int) -> dict[str, Any]:
    claimed = 0
    aborted = 0
    async with get_client() as client:
        started = time.perf_counter()
        while claimed < n:
            runs = await client.get_scheduled_flow_runs_for_work_pool("claims")
            if not runs:
                break
            for item in runs[:50]:
                result = await client.set_flow_run_state(item.flow_run.id, Pending())
                if result.status.value == "ACCEPT":
                    claimed += 1
                else:
                    aborted += 1
        elapsed = time.perf_counter() - started
    return {"claimed": claimed, "not_accepted": aborted, "seconds": elapsed}


async def finish(deployment_id: str, n: int) -> dict[str, Any]:
    async with get_client() as client:
        started = time.perf_counter()
        for _ in range(n):
            await client.create_flow_run_from_deployment(UUID(deployment_id))
        created = time.perf_counter() - started
        deadline = time.monotonic() + 600
        ours = DeploymentFilter(id=DeploymentFilterId(any_=[UUID(deployment_id)]))
        while True:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(), deployment_filter=ours, limit=n + 10
            )
            states = [r.state.type.value for r in runs if r.state is not None]
            if len(states) >= n and all(s in FINAL for s in states):
                break
            if time.monotonic() > deadline:
                return {"error": "not finished after 600 s", "states": states}
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
    return {
        "runs": n,
        "completed": states.count("COMPLETED"),
        "seconds": elapsed,
        "create_seconds": created,
    }


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "setup":
        result = asyncio.run(setup(args[0]))
    elif command == "dispatch":
        result = asyncio.run(dispatch(args[0], args[1], int(args[2])))
    elif command == "create":
        result = asyncio.run(create(args[0], int(args[1])))
    elif command == "claim":
        result = asyncio.run(claim(int(args[0])))
    elif command == "finish":
        result = asyncio.run(finish(args[0], int(args[1])))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
