"""Azure Container Instances dispatch: time from creating a run (due now) to its container starting.

A `flowyard server start` (SQLite) and a `flowyard worker start --pool ...` (type
azure-container-instance, default settings but a 0.5 s poll interval) run as subprocesses; the
worker talks through the official client, over TLS, to the ACI fake (`flowyard_fakes.azure_aci`,
in this process), which runs each container group's container on the real Docker engine in the
host network. DefaultAzureCredential gets its token from the fake's managed-identity endpoint.
The flow is deployed with an image built from this checkout (no registry). For each of N runs
(one at a time), creation time (client clock) is compared with the container's Docker
`State.StartedAt`, and with the flow body's own timestamp.

Run: `.venv/bin/python bench/azure_dispatch.py` (needs dockerd: scripts/start-dockerd; N=10).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import time
from pathlib import Path

from flowyard.job import base_job_template
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes.azure_aci import AciFake
from harness import scratch_dir, stage

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


def main() -> None:
    base = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    deploy = "stamp.deploy('d', work_pool_name='bench', image='flowyard-bench-aci:1')"
    try:
        with AciFake(scratch_dir("flowyard-bench-aci-")) as fake:
            template = base_job_template(AzureContainerInstanceVariables)
            properties = template["variables"]["properties"]
            for key, value in {
                "arm_endpoint": fake.url,
                "subscription_id": "bench-sub",
                "resource_group_name": "bench-rg",
                "task_watch_poll_interval": 0.5,
            }.items():
                properties[key]["default"] = value
            template["variables"]["required"] = []
            with stage(
                pool_type="azure-container-instance",
                flow_source=FLOW,
                deploy_call=deploy,
                base_job_template=template,
                FLOWYARD_DOCKER_BASE_IMAGE=base,
                **fake.identity_env(),
            ) as bench:
                time.sleep(3)
                to_start, to_body, to_done = [], [], []
                for _ in range(N):
                    created = time.time()
                    run = bench.api.post(
                        f"/deployments/{bench.deployment['id']}/runs", json={}
                    ).json()
                    while True:
                        current = bench.api.get(f"/flow_runs/{run['id']}").json()
                        if current["state_type"] in ("COMPLETED", "FAILED", "CRASHED"):
                            break
                        time.sleep(0.02)
                    done = time.time()
                    assert current["state_type"] == "COMPLETED", current
                    group = current["infrastructure_id"].split(":")[1]
                    to_start.append(docker_time(fake.started_at[group]) - created)
                    logs = bench.api.get(f"/flow_runs/{run['id']}/logs").json()
                    body = next(
                        float(line["message"].split()[1])
                        for line in logs
                        if line["message"].startswith("BODY")
                    )
                    to_body.append(body - created)
                    to_done.append(done - created)
                    time.sleep(1.5)  # let the worker delete the group
    finally:
        subprocess.run(["docker", "image", "rm", "-f", "flowyard-bench-aci:1"], capture_output=True)
    print(f"runs: {N}, azure-container-instance worker (official client) against the ACI fake")
    print(
        f"creation -> container started: median {statistics.median(to_start):.3f} s "
        f"(min {min(to_start):.3f}, max {max(to_start):.3f})"
    )
    print(f"creation -> flow body:         median {statistics.median(to_body):.3f} s")
    print(f"creation -> COMPLETED seen:    median {statistics.median(to_done):.3f} s")


if __name__ == "__main__":
    main()
