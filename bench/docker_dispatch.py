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
import time
from pathlib import Path

from harness import stage

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
    deploy = (
        "stamp.deploy('d', work_pool_name='bench', image='flowyard-bench:1', job_variables="
        "{'image_pull_policy': 'Never', 'network_mode': 'host'})"
    )
    try:
        with stage(
            pool_type="docker",
            flow_source=FLOW,
            deploy_call=deploy,
            FLOWYARD_DOCKER_BASE_IMAGE=base,
        ) as bench:
            time.sleep(3)
            to_start, to_body, to_done = [], [], []
            for _ in range(N):
                created = time.time()
                run = bench.api.post(f"/deployments/{bench.deployment['id']}/runs", json={}).json()
                while True:
                    current = bench.api.get(f"/flow_runs/{run['id']}").json()
                    if current["state_type"] in ("COMPLETED", "FAILED", "CRASHED"):
                        break
                    time.sleep(0.02)
                done = time.time()
                assert current["state_type"] == "COMPLETED", current
                to_start.append(started_at(current["infrastructure_id"]) - created)
                logs = bench.api.get(f"/flow_runs/{run['id']}/logs").json()
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
    finally:
        subprocess.run(["docker", "image", "rm", "-f", "flowyard-bench:1"], capture_output=True)
    print(f"runs: {N}, docker worker with default settings, image built locally")
    print(
        f"creation -> container started: median {statistics.median(to_start):.3f} s "
        f"(min {min(to_start):.3f}, max {max(to_start):.3f})"
    )
    print(f"creation -> flow body:         median {statistics.median(to_body):.3f} s")
    print(f"creation -> COMPLETED seen:    median {statistics.median(to_done):.3f} s")


if __name__ == "__main__":
    main()
