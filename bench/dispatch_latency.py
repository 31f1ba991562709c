"""Dispatch latency: from creating a run (due now) to its flow body executing, with a real worker.

Everything runs as a user would: `flowyard server start` (SQLite) and `flowyard worker start`
with default settings as subprocesses, a flow deployed from a file. Each of N runs is created with
`POST /deployments/{id}/runs`; the flow writes `time.time()` when its body starts. Runs are
created one at a time (the next once the previous one has executed), so each figure is one
dispatch, not a queue. Also prints the worker's idle RSS after a quiet period.

Run: `.venv/bin/python bench/dispatch_latency.py` (N=20 by default).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from pathlib import Path

from harness import host_speed, stage

N = int(os.environ.get("N", "20"))
FLOW = """
import time
from pathlib import Path
from flowyard import flow

@flow
def stamp(out: str) -> None:
    Path(out).write_text(repr(time.time()))
"""


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    print(host_speed(), flush=True)
    with stage(
        pool_type="process",
        flow_source=FLOW,
        deploy_call="stamp.deploy('d', work_pool_name='bench')",
    ) as bench:
        time.sleep(5)  # let the worker start and go idle
        idle_rss = rss_mb(bench.worker.pid)
        latencies = []
        splits: list[tuple[float, float, float]] = []
        for i in range(N):
            out = bench.home / f"stamp-{i}"
            created = time.time()
            response = bench.api.post(
                f"/deployments/{bench.deployment['id']}/runs",
                json={"parameters": {"out": str(out)}},
            )
            response.raise_for_status()
            deadline = time.monotonic() + 60
            while not out.exists() or not out.read_text():
                if time.monotonic() > deadline:
                    raise SystemExit(f"run {i} did not execute within 60 s")
                time.sleep(0.005)
            body = float(out.read_text())
            latencies.append(body - created)
            history = bench.api.get(f"/flow_runs/{response.json()['id']}/history").json()
            at = {h["type"]: dt.datetime.fromisoformat(h["timestamp"]).timestamp() for h in history}
            splits.append(
                (at["PENDING"] - created, at["RUNNING"] - at["PENDING"], body - at["RUNNING"])
            )
            time.sleep(0.3)
    latencies.sort()
    print(f"runs: {N}; worker with default settings (query ceiling 10 s, prefetch 10 s)")
    print(
        f"creation -> flow body: median {statistics.median(latencies):.3f} s, "
        f"p90 {latencies[int(0.9 * (N - 1))]:.3f} s, min {latencies[0]:.3f} s, max {latencies[-1]:.3f} s"
    )
    pending, running, body = (statistics.median(part) for part in zip(*splits, strict=True))
    print(
        f"split (medians): creation -> PENDING {pending:.3f} s, PENDING -> RUNNING {running:.3f} s, "
        f"RUNNING -> flow body {body:.3f} s"
    )
    mode = "off" if os.environ.get("FLOWYARD_WORKER_WARM_ENGINE", "").lower() == "false" else "on"
    print(f"warm engine: {mode} (FLOWYARD_WORKER_WARM_ENGINE)")
    print(f"worker idle RSS: {idle_rss:.1f} MB")


if __name__ == "__main__":
    main()
