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

import container_dispatch as shared
from flowyard.job import base_job_template
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes.azure_aci import AciFake
from harness import scratch_dir, stage

IMAGE = "flowyard-bench-aci:1"


def main() -> None:
    deploy = f"stamp.deploy('d', work_pool_name='bench', image={IMAGE!r})"
    base = shared.base_image()
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

            def started_at(run: shared.Run) -> float:
                return shared.docker_time(fake.started_at[run["infrastructure_id"].split(":")[1]])

            with stage(
                pool_type="azure-container-instance",
                flow_source=shared.FLOW,
                deploy_call=deploy,
                base_job_template=template,
                FLOWYARD_DOCKER_BASE_IMAGE=base,
                **fake.identity_env(),
            ) as bench:
                # a pause long enough for the worker to delete each container group
                timings = shared.time_runs(bench, started_at, pause=1.5)
    finally:
        shared.remove_image(IMAGE)
    shared.report(
        f"runs: {shared.N}, azure-container-instance worker (official client) against the ACI fake",
        timings,
    )


if __name__ == "__main__":
    main()
