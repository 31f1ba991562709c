"""Kubernetes dispatch: time from creating a run (due now) to its pod's container starting.

A `flowyard server start` (SQLite) and a `flowyard worker start --pool ...` (type kubernetes,
default settings) run as subprocesses; the worker talks through the official client to the
Kubernetes API emulator (`flowyard_fakes.kubernetes`, in this process), which runs each Job's pod
as a container on the real Docker engine. The flow is deployed with an image built from this
checkout (no registry); the pool's template sets `hostNetwork: true` so pods reach the loopback
server. For each of N runs (one at a time), creation time (client clock) is compared with the
container's `State.StartedAt`, and with the flow body's own timestamp.

Run: `.venv/bin/python bench/kubernetes_dispatch.py` (needs dockerd: scripts/start-dockerd; N=10).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import time
from pathlib import Path

from flowyard.job import base_job_template
from flowyard_fakes.kubernetes import KubernetesEmulator
from flowyard_kubernetes.variables import KubernetesVariables
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
    template = base_job_template(KubernetesVariables)
    template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"]["hostNetwork"] = True
    deploy = (
        "stamp.deploy('d', work_pool_name='bench', image='flowyard-bench-k8s:1', job_variables="
        "{'image_pull_policy': 'Never'})"
    )
    kubeconfig = scratch_dir("flowyard-bench-kube-") / "config"
    try:
        with KubernetesEmulator() as emulator:
            emulator.write_kubeconfig(kubeconfig)
            with stage(
                pool_type="kubernetes",
                flow_source=FLOW,
                deploy_call=deploy,
                base_job_template=template,
                FLOWYARD_DOCKER_BASE_IMAGE=base,
                KUBECONFIG=str(kubeconfig),
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
                    namespace, job = current["infrastructure_id"].split(":")
                    pod = emulator.pods(namespace, f"job-name={job}")[0]
                    pod_run = emulator.cluster.pod_run(namespace, pod["metadata"]["name"])
                    assert pod_run is not None and pod_run.container_id is not None
                    state = emulator.cluster.runner.state(pod_run.container_id)
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
                    emulator.cluster.delete_job(namespace, job, "Background", 0)
                    time.sleep(0.5)
    finally:
        subprocess.run(["docker", "image", "rm", "-f", "flowyard-bench-k8s:1"], capture_output=True)
    print(f"runs: {N}, kubernetes worker (official client) against the emulator, default settings")
    print(
        f"creation -> container started: median {statistics.median(to_start):.3f} s "
        f"(min {min(to_start):.3f}, max {max(to_start):.3f})"
    )
    print(f"creation -> flow body:         median {statistics.median(to_body):.3f} s")
    print(f"creation -> COMPLETED seen:    median {statistics.median(to_done):.3f} s")


if __name__ == "__main__":
    main()
