"""Docker dispatch: time from creating a run (due now) to its container starting, real engine.

A `flowyard server start` (SQLite) and a `flowyard worker start --pool ... --type docker` with
default settings run as subprocesses; the flow is deployed with an image built from this
checkout (`scripts/build-flowyard-image` as the base, no registry). For each of N runs (one at a
time), creation time (client clock) is compared with the container's `State.StartedAt`, and
with the flow body's own timestamp.

Run: `.venv/bin/python bench/docker_dispatch.py` (needs dockerd: scripts/start-dockerd; N=10).
"""

from __future__ import annotations

import json
import subprocess

import container_dispatch as shared
from harness import stage

IMAGE = "flowyard-bench:1"


def started_at(run: shared.Run) -> float:
    info = json.loads(
        subprocess.run(
            ["docker", "inspect", run["infrastructure_id"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )[0]
    return shared.docker_time(info["State"]["StartedAt"])


def remove_container(run: shared.Run) -> None:
    subprocess.run(["docker", "rm", "-f", run["infrastructure_id"]], capture_output=True)


def main() -> None:
    deploy = (
        f"stamp.deploy('d', work_pool_name='bench', image={IMAGE!r}, job_variables="
        "{'image_pull_policy': 'Never', 'network_mode': 'host'})"
    )
    try:
        with stage(
            pool_type="docker",
            flow_source=shared.FLOW,
            deploy_call=deploy,
            FLOWYARD_DOCKER_BASE_IMAGE=shared.base_image(),
        ) as bench:
            timings = shared.time_runs(bench, started_at, after_each=remove_container)
    finally:
        shared.remove_image(IMAGE)
    shared.report(
        f"runs: {shared.N}, docker worker with default settings, image built locally", timings
    )


if __name__ == "__main__":
    main()
