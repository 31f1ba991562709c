"""Dispatch latency: from creating a run (due now) to its flow body executing, with a real worker.

Everything runs as a user would: `flowyard server start` (SQLite) and `flowyard worker start`
with default settings as subprocesses, a flow deployed from a file. Each of N runs is created with
`POST /deployments/{id}/runs`; the flow writes `time.time()` when its body starts. Runs are
created one at a time (the next once the previous one has executed), so each figure is one
dispatch, not a queue. Also prints the worker's idle RSS after a quiet period.

Run: `.venv/bin/python bench/dispatch_latency.py` (N=20 by default).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from flowyard.testing.plugin import free_port

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
    home = Path(tempfile.mkdtemp(prefix="flowyard-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "FLOWYARD_HOME": str(home),
        "FLOWYARD_API_URL": f"http://127.0.0.1:{port}/api",
    }
    for key in [k for k in env if k.startswith("FLOWYARD_WORKER_")]:
        del env[key]  # default worker settings
    cli = [sys.executable, "-m", "flowyard.cli"]
    server = subprocess.Popen([*cli, "server", "start", "--port", str(port)], env=env)
    worker = None
    try:
        api = httpx.Client(base_url=env["FLOWYARD_API_URL"], timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                if api.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        subprocess.run(
            [*cli, "work-pool", "create", "bench", "-t", "process"],
            env=env,
            check=True,
            capture_output=True,
        )
        (home / "bench_flow.py").write_text(FLOW)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from bench_flow import stamp; stamp.deploy('d', work_pool_name='bench')",
            ],
            cwd=home,
            env=env,
            check=True,
            capture_output=True,
        )
        deployment = api.get("/deployments/name/stamp/d").json()
        worker = subprocess.Popen(
            [*cli, "worker", "start", "--pool", "bench"], env=env, stderr=subprocess.DEVNULL
        )
        time.sleep(5)  # let it start and go idle
        idle_rss = rss_mb(worker.pid)
        latencies = []
        for i in range(N):
            out = home / f"stamp-{i}"
            created = time.time()
            response = api.post(
                f"/deployments/{deployment['id']}/runs", json={"parameters": {"out": str(out)}}
            )
            response.raise_for_status()
            deadline = time.monotonic() + 60
            while not out.exists() or not out.read_text():
                if time.monotonic() > deadline:
                    raise SystemExit(f"run {i} did not execute within 60 s")
                time.sleep(0.005)
            latencies.append(float(out.read_text()) - created)
            time.sleep(0.3)
        latencies.sort()
        print(f"runs: {N}; worker with default settings (query ceiling 10 s, prefetch 10 s)")
        print(
            f"creation -> flow body: median {statistics.median(latencies):.3f} s, "
            f"p90 {latencies[int(0.9 * (N - 1))]:.3f} s, min {latencies[0]:.3f} s, max {latencies[-1]:.3f} s"
        )
        print(f"worker idle RSS: {idle_rss:.1f} MB")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
