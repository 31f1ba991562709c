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

import container_dispatch as shared
from flowyard.job import base_job_template
from flowyard_fakes.kubernetes import KubernetesEmulator
from flowyard_kubernetes.variables import KubernetesVariables
from harness import scratch_dir, stage

IMAGE = "flowyard-bench-k8s:1"


def main() -> None:
    template = base_job_template(KubernetesVariables)
    template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"]["hostNetwork"] = True
    deploy = (
        f"stamp.deploy('d', work_pool_name='bench', image={IMAGE!r}, job_variables="
        "{'image_pull_policy': 'Never'})"
    )
    kubeconfig = scratch_dir("flowyard-bench-kube-") / "config"
    try:
        with KubernetesEmulator() as emulator:
            emulator.write_kubeconfig(kubeconfig)

            def started_at(run: shared.Run) -> float:
                namespace, job = run["infrastructure_id"].split(":")
                pod = emulator.pods(namespace, f"job-name={job}")[0]
                pod_run = emulator.cluster.pod_run(namespace, pod["metadata"]["name"])
                assert pod_run is not None and pod_run.container_id is not None
                state = emulator.cluster.runner.state(pod_run.container_id)
                assert state.started_at is not None
                return shared.docker_time(state.started_at)

            def delete_job(run: shared.Run) -> None:
                namespace, job = run["infrastructure_id"].split(":")
                emulator.cluster.delete_job(namespace, job, "Background", 0)

            with stage(
                pool_type="kubernetes",
                flow_source=shared.FLOW,
                deploy_call=deploy,
                base_job_template=template,
                FLOWYARD_DOCKER_BASE_IMAGE=shared.base_image(),
                KUBECONFIG=str(kubeconfig),
            ) as bench:
                timings = shared.time_runs(bench, started_at, after_each=delete_job)
    finally:
        shared.remove_image(IMAGE)
    shared.report(
        f"runs: {shared.N}, kubernetes worker (official client) against the emulator, default settings",
        timings,
    )


if __name__ == "__main__":
    main()
