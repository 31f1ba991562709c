"""Docker dispatch: time from creating a run (due now) to its container starting, real engine.

A `flowyard server start` (SQLite) and a `flowyard worker start --pool ... --type docker` with
default settings run as subprocesses; the flow is deployed with an image built from this
checkout (`scripts/build-flowyard-image` as the base, no registry). For each of N runs (one at a
time), creation time (client clock) is compared with the container's `State.StartedAt`, and
with the flow body's own timestamp.

Run: `.venv/bin/python bench/docker_dispatch.py` (needs dockerd: scripts/start-dockerd; N=10).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from flowyard.testing.plugin import free_port

N = int(os.environ.get("N", "10"))
ROOT = Path(__file__).resolve().parents[1]
FLOW = """
import time
from flowyard import flow

@flow(log_prints=True)
def stamp() -> None:
    print("BODY", repr(time.time()), flush=True)
"""


def started_at(container_id: str) -> float:
    info = json.loads(
        subprocess.run(
            ["docker", "inspect", container_id], capture_output=True, text=True, check=True
        ).stdout
    )[0]
    raw = info["State"]["StartedAt"]  # e.g. 2026-11-22T22:40:01.123456789Z
    head, _, frac = raw.rstrip("Z").partition(".")
    stamp = dt.datetime.fromisoformat(head).replace(tzinfo=dt.UTC)
    return stamp.timestamp() + float("0." + (frac or "0"))


def main() -> None:
    base = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    home = Path(tempfile.mkdtemp(prefix="flowyard-docker-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "FLOWYARD_HOME": str(home),
        "FLOWYARD_API_URL": f"http://127.0.0.1:{port}/api",
        "FLOWYARD_DOCKER_BASE_IMAGE": base,
    }
    cli = [sys.executable, "-m", "flowyard.cli"]
    server = subprocess.Popen([*cli, "server", "start", "--port", str(port)], env=env)
    worker = None
    try:
        api = httpx.Client(base_url=env["FLOWYARD_API_URL"], timeout=30)
        for _ in range(300):
            try:
                if api.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        subprocess.run(
            [*cli, "work-pool", "create", "dock", "-t", "docker"],
            env=env,
            check=True,
            capture_output=True,
        )
        (home / "bench_flow.py").write_text(FLOW)
        deploy = "from bench_flow import stamp; stamp.deploy('d', work_pool_name='dock', image='flowyard-bench:1', job_variables={'image_pull_policy': 'Never', 'network_mode': 'host', 'auto_remove': False})"
        subprocess.run(
            [sys.executable, "-c", deploy], cwd=home, env=env, check=True, capture_output=True
        )
        dep = api.get("/deployments/name/stamp/d").json()
        worker = subprocess.Popen(
            [*cli, "worker", "start", "--pool", "dock"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)
        to_start, to_body, to_done = [], [], []
        for _ in range(N):
            created = time.time()
            run = api.post(f"/deployments/{dep['id']}/runs", json={}).json()
            while True:
                current = api.get(f"/flow_runs/{run['id']}").json()
                if current["state_type"] in ("COMPLETED", "FAILED", "CRASHED"):
                    break
                time.sleep(0.02)
            done = time.time()
            assert current["state_type"] == "COMPLETED", current
            to_start.append(started_at(current["infrastructure_id"]) - created)
            logs = api.get(f"/flow_runs/{run['id']}/logs").json()
            body = next(
                float(line["message"].split()[1])
                for line in logs
                if line["message"].startswith("BODY")
            )
            to_body.append(body - created)
            to_done.append(done - created)
            subprocess.run(
                ["docker", "rm", "-f", current["infrastructure_id"]], capture_output=True
            )
            time.sleep(0.5)
        print(f"runs: {N}, docker worker with default settings, image built locally")
        print(
            f"creation -> container started: median {statistics.median(to_start):.3f} s (min {min(to_start):.3f}, max {max(to_start):.3f})"
        )
        print(f"creation -> flow body:         median {statistics.median(to_body):.3f} s")
        print(f"creation -> COMPLETED seen:    median {statistics.median(to_done):.3f} s")
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["docker", "image", "rm", "-f", "flowyard-bench:1"], capture_output=True)


if __name__ == "__main__":
    main()
