"""End-to-end throughput: N trivial runs due now, one process worker with ``--limit 8``.

`flowyard server start` (SQLite) and `flowyard worker start --limit 8` (default settings
otherwise) as subprocesses; the N runs are created with one bulk request once the worker is idle,
and the clock stops when the last run is COMPLETED. Prints runs completed per second.
Run: `.venv/bin/python bench/run_throughput.py` (N=200; FLOWYARD_WORKER_WARM_ENGINE=false for
cold starts).
"""

from __future__ import annotations

import os
import time

from cpu import cpu_seconds, tree_cpu_seconds
from harness import host_speed, stage

N = int(os.environ.get("N", "200"))
LIMIT = os.environ.get("LIMIT", "8")
FLOW = """
from flowyard import flow

@flow
def stamp() -> None:
    pass
"""


def main() -> None:
    print(host_speed(), flush=True)
    with stage(
        pool_type="process",
        flow_source=FLOW,
        deploy_call="stamp.deploy('d', work_pool_name='bench')",
        worker_args=("--limit", LIMIT),
    ) as bench:
        time.sleep(5)  # let the worker start and go idle
        cpu_before = (
            cpu_seconds(bench.server.pid),
            tree_cpu_seconds(bench.worker.pid),
            cpu_seconds(bench.worker.pid, children=False),
        )
        started = time.perf_counter()
        ids: list[str] = []
        for first in range(0, N, 500):
            response = bench.api.post(
                f"/deployments/{bench.deployment['id']}/runs/bulk",
                json={"runs": [{}] * min(500, N - first)},
            )
            response.raise_for_status()
            ids.extend(response.json()["ids"])
        deadline = time.monotonic() + 600
        unfinished = {"deployment_id": bench.deployment["id"], "limit": 1}
        unfinished["state_types"] = ["SCHEDULED", "PENDING", "RUNNING", "CANCELLING"]
        while bench.api.post("/flow_runs/filter", json=unfinished).json():
            # one small query per 50 ms: the clock's own cost on the server stays negligible
            if time.monotonic() > deadline:
                raise SystemExit("not finished after 600 s")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(bench.server.pid) - cpu_before[0]
        worker_cpu = tree_cpu_seconds(bench.worker.pid) - cpu_before[1]
        worker_own = cpu_seconds(bench.worker.pid, children=False) - cpu_before[2]
        runs = bench.api.post(
            "/flow_runs/filter", json={"deployment_id": bench.deployment["id"], "limit": N}
        ).json()
        states = [r["state_type"] for r in runs]
    completed = states.count("COMPLETED")
    mode = "off" if os.environ.get("FLOWYARD_WORKER_WARM_ENGINE", "").lower() == "false" else "on"
    print(f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(
        f"{N} runs, one process worker --limit {LIMIT}, warm engine {mode}: {completed} COMPLETED "
        f"in {elapsed:.1f} s = {completed / elapsed:.1f} runs/s"
    )
    print(
        f"CPU during the runs: server {server_cpu:.1f} s, worker with its fork server and runs "
        f"{worker_cpu:.1f} s (the worker itself {worker_own:.1f} s) "
        f"= {1000 * (server_cpu + worker_cpu) / N:.0f} ms per run"
    )


if __name__ == "__main__":
    main()
