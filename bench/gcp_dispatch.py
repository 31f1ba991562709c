"""Cloud Run and Vertex AI dispatch: time from creating a run (due now) to its container starting.

For each type, a `flowyard server start` (SQLite) and a `flowyard worker start --pool ...`
(default settings) run as subprocesses; the worker talks through Google's official client (REST)
to the fake (`flowyard_fakes.cloud_run` / `flowyard_fakes.vertex`, in this process), which runs
each job's container on the real Docker engine in the host network. The flow is deployed with an
image built from this checkout (no registry), `keep_job: true` so the container can be inspected
afterwards. For each of N runs (one at a time), creation time (client clock) is compared with the
container's `State.StartedAt`, and with the flow body's own timestamp.

Run: `.venv/bin/python bench/gcp_dispatch.py` (needs dockerd: scripts/start-dockerd; N=10).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import time
from pathlib import Path

from flowyard_fakes.cloud_run import CloudRunFake
from flowyard_fakes.vertex import VertexFake
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


def docker_time(raw: str) -> float:
    head, _, frac = raw.rstrip("Z").partition(".")
    stamp = dt.datetime.fromisoformat(head).replace(tzinfo=dt.UTC)
    return stamp.timestamp() + float("0." + (frac or "0"))


def bench_type(kind: str, base: str) -> None:
    fake: CloudRunFake | VertexFake = CloudRunFake() if kind == "cloud-run" else VertexFake()
    variables = {
        "api_endpoint": fake.endpoint,
        "credentials": {"anonymous": True, "project": "bench"},
        "keep_job": True,
        "poll_interval_seconds": 0.5,
    }
    image = f"flowyard-bench-{kind}:1"
    deploy = (
        f"stamp.deploy('d', work_pool_name='bench', image={image!r}, job_variables={variables!r})"
    )
    to_start, to_body, to_done = [], [], []
    try:
        with (
            fake,
            stage(
                pool_type=kind,
                flow_source=FLOW,
                deploy_call=deploy,
                FLOWYARD_DOCKER_BASE_IMAGE=base,
            ) as bench,
        ):
            time.sleep(3)
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
                name = current["infrastructure_id"]
                if isinstance(fake, CloudRunFake):
                    name = next(e["name"] for e in fake.executions() if e["name"].startswith(name))
                container = fake.container_id(name)
                assert container is not None
                state = fake.runner.state(container)
                assert state.started_at is not None
                to_start.append(docker_time(state.started_at) - created)
                logs = bench.api.get(f"/flow_runs/{run['id']}/logs").json()
                body = next(
                    float(line["message"].split()[1])
                    for line in logs
                    if line["message"].startswith("BODY")
                )
                to_body.append(body - created)
                to_done.append(done - created)
                time.sleep(0.5)
    finally:
        subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)
    print(f"{kind}: {N} runs, official client (REST) against the fake, default worker settings")
    print(
        f"  creation -> container started: median {statistics.median(to_start):.3f} s "
        f"(min {min(to_start):.3f}, max {max(to_start):.3f})"
    )
    print(f"  creation -> flow body:         median {statistics.median(to_body):.3f} s")
    print(f"  creation -> COMPLETED seen:    median {statistics.median(to_done):.3f} s")


def main() -> None:
    base = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    for kind in ("cloud-run", "vertex-ai"):
        bench_type(kind, base)


if __name__ == "__main__":
    main()
