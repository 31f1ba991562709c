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

import container_dispatch as shared
from flowyard_fakes.cloud_run import CloudRunFake
from flowyard_fakes.vertex import VertexFake
from harness import stage


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

    def started_at(run: shared.Run) -> float:
        name = run["infrastructure_id"]
        if isinstance(fake, CloudRunFake):
            name = next(e["name"] for e in fake.executions() if e["name"].startswith(name))
        container = fake.container_id(name)
        assert container is not None
        state = fake.runner.state(container)
        assert state.started_at is not None
        return shared.docker_time(state.started_at)

    try:
        with (
            fake,
            stage(
                pool_type=kind,
                flow_source=shared.FLOW,
                deploy_call=deploy,
                FLOWYARD_DOCKER_BASE_IMAGE=base,
            ) as bench,
        ):
            timings = shared.time_runs(bench, started_at)
    finally:
        shared.remove_image(image)
    shared.report(
        f"{kind}: {shared.N} runs, official client (REST) against the fake, default worker settings",
        timings,
        indent="  ",
    )


def main() -> None:
    base = shared.base_image()
    for kind in ("cloud-run", "vertex-ai"):
        bench_type(kind, base)


if __name__ == "__main__":
    main()
