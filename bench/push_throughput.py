"""Push throughput: runs per second one server pushes through the Cloud Run fake, pool limit 50.

`flowyard server start` (SQLite) as a subprocess serves a ``cloud-run:push`` pool with a
concurrency limit of 50 and credentials from a secret; **no worker runs**. The Cloud Run fake
runs in this process with a stub container runner: each "container" is a thread acting as the
flow's engine (RUNNING, then COMPLETED through the API with the run's token and claim), so the
figure is the server's push path (claim, render, secret resolution, lookup + create + run of
the job through google-cloud-run, polling the execution, the state changes), not Docker's
container start. N runs are created with one bulk request per round; the clock stops when the
last is final. Prints each round and the median runs/s.
Run: `.venv/bin/python bench/push_throughput.py` (ROUNDS=3, N=150).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from flowyard.testing.plugin import free_port
from flowyard_fakes.cloud_run import CloudRunFake
from flowyard_fakes.containers import ContainerExit, ContainerSpec, ContainerState
from harness import scratch_dir, wait_ready

CLI = [sys.executable, "-m", "flowyard.cli"]
N = int(os.environ.get("N", "150"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
LIMIT = 50
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
FLOW = """
from flowyard import flow

@flow
def stamp() -> None:
    pass
"""


class EngineStubRunner:
    """A container runner whose containers are threads doing what the engine reports."""

    def __init__(self) -> None:
        self.done: dict[str, threading.Event] = {}
        self.http = httpx.Client(timeout=30)

    def image_present(self, image: str) -> bool:
        return True

    def start(self, spec: ContainerSpec) -> str:
        container_id = uuid.uuid4().hex
        self.done[container_id] = threading.Event()
        threading.Thread(target=self._engine, args=(container_id, spec.env), daemon=True).start()
        return container_id

    def _engine(self, container_id: str, env: dict[str, str]) -> None:
        url = f"{env['FLOWYARD_API_URL']}/flow_runs/{env['FLOWYARD_FLOW_RUN_ID']}/state"
        key = env.get("FLOWYARD_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            for state in ("RUNNING", "COMPLETED"):
                body = {"type": state, "claim_id": env.get("FLOWYARD_CLAIM_ID")}
                self.http.post(url, json=body, headers=headers).raise_for_status()
        finally:
            self.done[container_id].set()

    def wait(self, container_id: str, timeout: float | None = None) -> ContainerExit | None:
        if not self.done[container_id].wait(timeout):
            return None
        return ContainerExit(exit_code=0, oom_killed=False, error=None)

    def state(self, container_id: str) -> ContainerState:
        ended = self.done[container_id].is_set()
        return ContainerState(
            "exited" if ended else "running", not ended, 0, False, None, None, None
        )

    def stop(self, container_id: str, grace_seconds: float) -> None:
        self.done[container_id].set()

    def remove(self, container_id: str) -> None:
        self.done.pop(container_id, None)

    def exists(self, container_id: str) -> bool:
        return container_id in self.done

    def ids_with_labels(self, labels: dict[str, str]) -> list[str]:
        return []


def _cli(
    env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None
) -> None:
    subprocess.run(
        [*CLI, *args], env=env, input=stdin, text=True, check=True, capture_output=True, cwd=cwd
    )


def main() -> None:
    home = scratch_dir("flowyard-push-bench-")
    port = free_port()
    env = {
        **os.environ,
        "FLOWYARD_HOME": str(home),
        "FLOWYARD_API_URL": f"http://127.0.0.1:{port}/api",
        "FLOWYARD_SERVER_SECRETS_KEY": Fernet.generate_key().decode(),
        "FLOWYARD_SERVER_UI": "false",
    }
    server = subprocess.Popen(
        [*CLI, "server", "start", "--port", str(port)],
        env=env,
        stdout=(home / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    api = httpx.Client(base_url=env["FLOWYARD_API_URL"], timeout=60)
    try:
        with CloudRunFake(runner=EngineStubRunner()) as fake:  # type: ignore[arg-type]
            _setup(env, api, home, fake)
            deployment = api.get("/deployments/name/stamp/d").json()["id"]
            rates = [_round(api, deployment) for _ in range(ROUNDS)]
    finally:
        server.terminate()
        server.wait(30)
    print(
        f"median: {statistics.median(rates):.1f} runs/s (N={N}, pool limit {LIMIT}, {ROUNDS} rounds)"
    )


def _setup(env: dict[str, str], api: httpx.Client, home: Path, fake: CloudRunFake) -> None:
    wait_ready(api, "/ready")
    secret = json.dumps({"anonymous": True, "project": "proj-1"})
    _cli(env, "secret", "create", "gcp-fake", "--kind", "gcp", stdin=secret)
    _cli(
        env,
        "work-pool",
        "create",
        "bench",
        "-t",
        "cloud-run:push",
        "--credentials",
        "gcp-fake",
        "--concurrency-limit",
        str(LIMIT),
    )
    (home / "bench_flow.py").write_text(FLOW)
    variables = {"api_endpoint": fake.endpoint, "poll_interval_seconds": 0.2}
    code = (
        "from bench_flow import stamp\n"
        f"stamp.deploy('d', work_pool_name='bench', image='bench:1', build=False, "
        f"job_variables={variables!r})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=home, env=env, check=True, capture_output=True)
    time.sleep(2)  # the replica's submitter picks the new pool up


def _round(api: httpx.Client, deployment: str) -> float:
    started = time.perf_counter()
    response = api.post(f"/deployments/{deployment}/runs/bulk", json={"runs": [{}] * N})
    response.raise_for_status()
    ids = set(response.json()["ids"])
    states: dict[str, Any] = {}
    while True:
        page = api.post(
            "/flow_runs/filter", json={"deployment_id": deployment, "limit": 1000}
        ).json()
        states = {r["id"]: r["state_type"] for r in page if r["id"] in ids}
        if all(s in FINAL for s in states.values()) and len(states) == len(ids):
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    completed = sum(1 for s in states.values() if s == "COMPLETED")
    rate = N / elapsed
    print(f"round: {N} runs in {elapsed:.1f} s = {rate:.1f} runs/s ({completed} COMPLETED)")
    return rate


if __name__ == "__main__":
    main()
