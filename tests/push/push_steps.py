"""The scenario steps the push-pool end-to-end modules share (ACI, Cloud Run, ECS): the tutorial
set-up (credentials secret, push pool, deployments), running the tutorial flow, cancelling a
running run, recovering a run after a SIGKILL, and collecting where a secret must not show.
Each module keeps only what is specific to its worker type and its fake."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from push_env import PushServer, deploy, flowyard_image, secret_places

TUTORIAL_FLOWS = ("tutorial", "long_one", "environment")


@contextmanager
def serving(server: PushServer) -> Iterator[PushServer]:
    """The server started, then stopped once the block ends."""
    server.start()
    yield server
    server.stop()


@contextmanager
def image_removed(image: str) -> Iterator[None]:
    """Removes the deployments' ``image`` from the Docker engine once the block ends."""
    yield
    subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)


def create_push_pool(
    server: PushServer,
    pool: str,
    worker_type: str,
    secret: Mapping[str, Any],
    *,
    secret_name: str,
    kind: str,
    options: tuple[str, ...] = (),
) -> None:
    """``flowyard secret create`` for the credentials, then ``flowyard work-pool create`` of a
    ``<worker_type>:push`` pool naming them (``options`` added to the pool's command)."""
    made = server.cli("secret", "create", secret_name, "--kind", kind, stdin=json.dumps(secret))
    assert made.returncode == 0, made.stderr
    created = server.cli(
        "work-pool",
        "create",
        pool,
        "--type",
        f"{worker_type}:push",
        *options,
        "--credentials",
        secret_name,
    )
    assert created.returncode == 0, created.stderr


def deploy_flows(
    server: PushServer,
    project: Path,
    pool: str,
    image: str,
    variables: Mapping[str, Any],
    flows: list[str],
    *,
    build: bool,
) -> dict[str, str]:
    """Each flow deployed to the pool (the image built with the first when ``build``); the
    deployment ids by flow name."""
    base = flowyard_image()
    return {
        flow: deploy(server, project, base, pool, flow, image, variables, build=build and i == 0)
        for i, flow in enumerate(flows)
    }


def wait_until(
    condition: Callable[[], object],
    failure: Callable[[], object] | str,
    *,
    timeout: float = 60,
    interval: float = 0.3,
) -> None:
    """Polls ``condition`` until it is true; fails with ``failure`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, failure() if callable(failure) else failure
        time.sleep(interval)


def run_tutorial(server: PushServer, deployment_id: str, name: str) -> tuple[str, dict[str, Any]]:
    """A run of the tutorial flow that completes, submitted by the server's push replica; its
    id and its final state."""
    run_id = server.run(deployment_id, name=name)
    run = server.wait_for(run_id)
    assert run["state_type"] == "COMPLETED", run
    assert f"hello {name}, submitted by the server" in server.logs(run_id)
    assert run["worker_name"] == "push@replica-a"
    return run_id, run


def cancel_running(server: PushServer, deployment_id: str) -> str:
    """A run of ``deployment_id`` cancelled once it runs, and CANCELLED; its id."""
    run_id = server.run(deployment_id)
    server.wait_for(run_id, frozenset({"RUNNING"}))
    assert server.http.post(f"/flow_runs/{run_id}/cancel").status_code == 200
    run = server.wait_for(run_id, timeout=60)
    assert run["state_type"] == "CANCELLED", run
    return run_id


def kill_once_started(
    server: PushServer, deployment_id: str, started: Callable[[str], object], failure: str
) -> str:
    """A tutorial run named ``again``, with the server SIGKILLed as soon as ``started(run_id)``
    (the run's infrastructure exists); the run's id."""
    run_id = server.run(deployment_id, name="again")
    wait_until(lambda: started(run_id), failure, interval=0.05)
    server.kill()
    return run_id


def assert_recovered(server: PushServer, run_id: str) -> None:
    """The killed server restarted: the run it was submitting completes."""
    server.start()
    run = server.wait_for(run_id, timeout=120)
    assert run["state_type"] == "COMPLETED", run
    assert "hello again, submitted by the server" in server.logs(run_id)


def environment_run(
    server: PushServer, pool: str, deployment_id: str
) -> tuple[str, dict[str, str]]:
    """A completed run of the ``environment`` flow; its id and the places a secret must never
    show (see ``secret_places``), for the caller to add its fake's own."""
    run_id = server.run(deployment_id)
    run = server.wait_for(run_id)
    assert run["state_type"] == "COMPLETED", run
    return run_id, secret_places(server, pool, run_id, deployment_id)


def showing(places: Mapping[str, str], secret: str) -> list[str]:
    """The names of the places whose text contains ``secret``."""
    return [where for where, text in places.items() if secret in text]
