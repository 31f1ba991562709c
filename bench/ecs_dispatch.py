"""ECS dispatch: time from creating a run (due now) to its task's container starting.

A `flowyard server start` (SQLite) and a `flowyard worker start --pool bench` (type ecs,
default settings, boto3's default chain pointed at the fake through `AWS_ENDPOINT_URL`) run as
subprocesses; AWS is moto in server mode (`flowyard_fakes.ecs.MotoServer`, a subprocess) and the
harness's ECS agent (`flowyard_fakes.ecs.agent.EcsAgent`, in this process) runs each task's
container on the real Docker engine. The flow is deployed with an image built from this checkout
(`scripts/build-flowyard-image` as the base, no registry). For each of N runs (one at a time),
creation time is compared with the moment the agent's `docker start` returned for its task, and
with the flow body's own timestamp. The path measured: claim (long-poll) → render → task
definition reuse (DescribeTaskDefinition, ListTaskDefinitions) → default VPC discovery
(DescribeVpcs, DescribeSubnets) → RunTask → the agent seeing the PROVISIONING task (it polls
moto every 0.1 s) → container start.

Run: `.venv/bin/python bench/ecs_dispatch.py` (needs dockerd: scripts/start-dockerd; N=10).
"""

from __future__ import annotations

import container_dispatch as shared
from flowyard_fakes.ecs import MotoServer, fake_aws
from harness import stage

IMAGE = "flowyard-bench-ecs:1"


def main() -> None:
    deploy = f"stamp.deploy('d', work_pool_name='bench', image={IMAGE!r})"
    base = shared.base_image()
    moto = MotoServer().start()
    try:
        with (
            fake_aws(moto) as aws,
            stage(
                pool_type="ecs",
                flow_source=shared.FLOW,
                deploy_call=deploy,
                FLOWYARD_DOCKER_BASE_IMAGE=base,
                **aws.env(),
            ) as bench,
        ):
            agent = aws.agent
            assert agent is not None

            def started_at(run: shared.Run) -> float:
                return agent.started_at[run["infrastructure_id"].partition("::")[2]]

            timings = shared.time_runs(bench, started_at)
            revisions = aws.client("ecs").list_task_definitions()["taskDefinitionArns"]
    finally:
        moto.stop()
        shared.remove_image(IMAGE)
    shared.report(
        f"runs: {shared.N}, ecs worker with default settings against moto + the Docker-backed agent",
        timings,
    )
    print(f"task definition revisions registered: {len(revisions)}")


if __name__ == "__main__":
    main()
