"""Private registries and the container start timeout, against a real engine and real registries.

Real parts: the Docker engine started by scripts/test, Debian's docker-registry on loopback with
htpasswd (bcrypt) authentication, a loopback socket that accepts connections and never answers
(a registry that hangs), a flowyard server and `flowyard worker start` as a subprocess. The
registry password lives only in the worker's environment (``password_env``).
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docker_env import engine_or_skip, flowyard_image, start_registry
from flowyard.testing import e2e
from flowyard.testing.cli import cli_json
from flowyard.testing.e2e import flow_project, pool_workers, run_logs, wait_for_state
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import WorkerProcess

pytestmark = [pytest.mark.docker, SQLITE_ONLY]

USER = "flowbot"
PASSWORD = "s3cret-Pa55-" + uuid.uuid4().hex[:8]
WRONG = "wrong-Pa55-" + uuid.uuid4().hex[:8]

FLOWS = """
from flowyard import flow

@flow(log_prints=True)
def private(name: str = "registry") -> str:
    print(f"hello {name} from a private image")
    return name
"""


@pytest.fixture(scope="module")
def base_image() -> str:
    engine_or_skip()
    return flowyard_image()


@pytest.fixture
def private_registry(tmp_path: Path) -> Iterator[str]:
    """A registry that answers only ``USER``/``PASSWORD`` (htpasswd with a bcrypt hash)."""
    import bcrypt

    htpasswd = tmp_path / "htpasswd"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    htpasswd.write_text(f"{USER}:{hashed}\n")
    process, address = start_registry(tmp_path, htpasswd)
    yield address
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def hanging_registry() -> Iterator[str]:
    """A loopback port that accepts connections and never says a word: a pull from it hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return flow_project(tmp_path, FLOWS)


@pytest.fixture
def docker_pool(server: RunningServer, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A docker pool's worker whose environment holds the right and a wrong registry password."""
    with pool_workers(
        server,
        "dock",
        "docker",
        directory=tmp_path,
        stop_timeout=30,
        REGISTRY_PASSWORD=PASSWORD,
        WRONG_REGISTRY_PASSWORD=WRONG,
    ) as pool:
        yield pool.start()


def deploy(
    server: RunningServer,
    project: Path,
    base_image: str,
    image: str,
    *,
    build: bool,
    **job_variables: Any,
) -> None:
    """``private.deploy(...)`` from a user's script in the project directory."""
    done = e2e.deploy(
        server,
        project,
        "private",
        work_pool="dock",
        image=image,
        job_variables={"network_mode": "host", "image_pull_policy": "Always", **job_variables},
        base_image=base_image,
        options={"build": build, "push": False},
    )
    assert done.returncode == 0, done.stderr


def push_with_auth(image: str, registry: str) -> None:
    """Push ``image`` to the authenticated registry, then remove it here (the run must pull it)."""
    import docker

    client = docker.from_env()
    repository, _, tag = image.rpartition(":")
    auth = {"username": USER, "password": PASSWORD}
    for event in client.images.push(
        repository, tag=tag, auth_config=auth, stream=True, decode=True
    ):
        assert "error" not in event, event
    client.images.remove(image, force=True)
    anonymous = httpx.get(f"http://{registry}/v2/")
    assert anonymous.status_code == 401  # the registry really asks for credentials


def wait_final(http: httpx.Client, run_id: str, timeout: float = 120) -> dict[str, Any]:
    return wait_for_state(http, run_id, timeout=timeout, interval=0.1)


def containers_of(run_id: str) -> list[str]:
    listed = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=flowyard.flow-run-id={run_id}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return listed.stdout.split()


def test_a_private_image_is_pulled_with_the_workers_credentials_and_the_run_completes(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    private_registry: str,
    docker_pool: WorkerProcess,
) -> None:
    image = f"{private_registry}/team/private:{uuid.uuid4().hex[:8]}"
    credentials = {
        "registry_url": private_registry,
        "username": USER,
        "password_env": "REGISTRY_PASSWORD",
    }
    try:
        deploy(server, project, base_image, image, build=True, registry_credentials=credentials)
        push_with_auth(image, private_registry)
        run = cli_json("deployment", "run", "private/dev", env=server.env())
        final = wait_final(http, run["id"])
        assert final["state_type"] == "COMPLETED", final
        assert "hello registry from a private image" in run_logs(http, run["id"])
        info = json.loads(
            subprocess.run(
                ["docker", "inspect", final["infrastructure_id"]],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )[0]
        assert info["Config"]["Image"] == image
        assert PASSWORD not in json.dumps(info["Config"])  # not in env, labels or command
        stored = cli_json("deployment", "inspect", "private/dev", env=server.env())
        assert stored["job_variables"]["registry_credentials"] == credentials
        assert PASSWORD not in json.dumps(stored)
        assert PASSWORD not in docker_pool.output()
    finally:
        subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)


def test_a_wrong_registry_password_crashes_the_run_naming_the_registry_not_the_password(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    private_registry: str,
    docker_pool: WorkerProcess,
) -> None:
    credentials = {
        "registry_url": private_registry,
        "username": USER,
        "password_env": "WRONG_REGISTRY_PASSWORD",
    }
    image = f"{private_registry}/team/private:absent"
    deploy(server, project, base_image, image, build=False, registry_credentials=credentials)
    run = cli_json("deployment", "run", "private/dev", env=server.env())
    final = wait_final(http, run["id"])
    assert final["state_type"] == "CRASHED", final
    message = final["state_message"]
    assert f"Logging in to registry '{private_registry}' as '{USER}' failed" in message
    assert "WRONG_REGISTRY_PASSWORD" in message
    assert WRONG not in message and WRONG not in run_logs(http, run["id"])
    assert WRONG not in docker_pool.output()
    assert containers_of(run["id"]) == []


def test_a_password_variable_missing_on_the_worker_crashes_the_run_naming_it(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    private_registry: str,
    docker_pool: WorkerProcess,
) -> None:
    credentials = {
        "registry_url": private_registry,
        "username": USER,
        "password_env": "NOT_SET_ON_THE_WORKER",
    }
    image = f"{private_registry}/team/private:absent"
    deploy(server, project, base_image, image, build=False, registry_credentials=credentials)
    run = cli_json("deployment", "run", "private/dev", env=server.env())
    final = wait_final(http, run["id"])
    assert final["state_type"] == "CRASHED", final
    assert "'NOT_SET_ON_THE_WORKER' is not set on this worker" in final["state_message"]


def test_a_pull_that_hangs_is_cut_by_the_start_timeout_and_leaves_nothing_behind(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    hanging_registry: str,
    docker_pool: WorkerProcess,
) -> None:
    image = f"{hanging_registry}/team/stuck:1"
    deploy(server, project, base_image, image, build=False, container_start_timeout_seconds=3)
    run = cli_json("deployment", "run", "private/dev", env=server.env())
    started = time.monotonic()
    final = wait_final(http, run["id"], timeout=30)
    elapsed = time.monotonic() - started
    assert final["state_type"] == "CRASHED", final
    message = final["state_message"]
    assert "did not start within container_start_timeout_seconds (3 s)" in message
    assert f"pulling image '{image}' timed out" in message
    assert elapsed < 8, f"CRASHED after {elapsed:.1f} s with a 3 s timeout"
    assert containers_of(run["id"]) == []
    images = subprocess.run(
        ["docker", "image", "ls", "-q", image], capture_output=True, text=True, check=True
    )
    assert images.stdout.strip() == ""
