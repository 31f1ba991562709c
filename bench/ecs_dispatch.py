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

import os
import statistics
import subprocess
import time
from pathlib import Path

from flowyard_fakes.ecs import MotoServer, fake_aws
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


def main() -> None:
    base = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], capture_output=True, text=True, check=True
    ).stdout.split()[-1]
    deploy = "stamp.deploy('d', work_pool_name='bench', image='flowyard-bench-ecs:1')"
    moto = MotoServer().start()
    try:
        with (
            fake_aws(moto) as aws,
            stage(
                pool_type="ecs",
                flow_source=FLOW,
                deploy_call=deploy,
                FLOWYARD_DOCKER_BASE_IMAGE=base,
                **aws.env(),
            ) as bench,
        ):
            assert aws.agent is not None
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
                task_arn = current["infrastructure_id"].partition("::")[2]
                to_start.append(aws.agent.started_at[task_arn] - created)
                logs = bench.api.get(f"/flow_runs/{run['id']}/logs").json()
                body = next(
                    float(line["message"].split()[1])
                    for line in logs
                    if line["message"].startswith("BODY")
                )
                to_body.append(body - created)
                to_done.append(done - created)
                time.sleep(0.5)
            revisions = aws.client("ecs").list_task_definitions()["taskDefinitionArns"]
    finally:
        moto.stop()
        subprocess.run(["docker", "image", "rm", "-f", "flowyard-bench-ecs:1"], capture_output=True)
    print(f"runs: {N}, ecs worker with default settings against moto + the Docker-backed agent")
    print(
        f"creation -> container started: median {statistics.median(to_start):.3f} s "
        f"(min {min(to_start):.3f}, max {max(to_start):.3f})"
    )
    print(f"creation -> flow body:         median {statistics.median(to_body):.3f} s")
    print(f"creation -> COMPLETED seen:    median {statistics.median(to_done):.3f} s")
    print(f"task definition revisions registered: {len(revisions)}")


if __name__ == "__main__":
    main()
