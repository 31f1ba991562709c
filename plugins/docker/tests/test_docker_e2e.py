"""The docker worker against a real Docker engine: image-building deploy, run, cancel, OOM, failures.

Real parts throughout: the engine started by scripts/test (Debian docker.io), images built
locally from a base made with debootstrap (no registry is reachable here), a flowyard server on
loopback, `flowyard worker start` as a subprocess. Containers use `network_mode: host` so they
reach the loopback server.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docker_env import engine_or_skip, flowyard_image, start_registry
from flowyard.testing import e2e
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.worker import WorkerProcess

pytestmark = [pytest.mark.docker, SQLITE_ONLY]

FLOWS = e2e.tutorial_flows("docker", "from a container", e2e.DIES_HARD_FLOW, e2e.HOG_FLOW)


@pytest.fixture(scope="module")
def base_image() -> str:
    engine_or_skip()
    return flowyard_image()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = e2e.flow_project(tmp_path, FLOWS)
    (root / ".venv").mkdir()  # never copied into the image
    (root / ".venv" / "big").write_bytes(b"x" * 1024)
    return root


@pytest.fixture
def image_tag() -> Iterator[str]:
    with e2e.throwaway_image_tag("flowyard-e2e") as tag:
        yield tag


@pytest.fixture
def docker_pool(server: RunningServer, tmp_path: Path) -> Iterator[WorkerProcess]:
    """The pool ``dock`` with one worker."""
    with e2e.pool_workers(
        server,
        "dock",
        "docker",
        directory=tmp_path,
        stop_timeout=30,
        FLOWYARD_WORKER_KILL_GRACE_SECONDS="2",
    ) as pool:
        yield pool.start()


def deploy(
    server: RunningServer,
    project: Path,
    base_image: str,
    flow: str,
    name: str,
    image: str,
    **job_variables: Any,
) -> subprocess.CompletedProcess[str]:
    variables = {"image_pull_policy": "Never", "network_mode": "host", **job_variables}
    return e2e.deploy(
        server,
        project,
        flow,
        work_pool="dock",
        image=image,
        job_variables=variables,
        name=name,
        base_image=base_image,
    )


def run_python(project: Path, code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in the project directory, as a user's deploy script runs."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def wait_final(
    http: httpx.Client, run_id: str, states: frozenset[str] = e2e.FINAL_STATES, timeout: float = 90
) -> dict[str, Any]:
    return e2e.wait_for_state(http, run_id, states, timeout)


def container(container_id: str) -> dict[str, Any] | None:
    result = subprocess.run(["docker", "inspect", container_id], capture_output=True, text=True)
    return json.loads(result.stdout)[0] if result.returncode == 0 else None


def test_deploy_builds_an_image_and_the_run_completes_in_a_container(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    docker_pool: WorkerProcess,
) -> None:
    deployed = deploy(server, project, base_image, "tutorial", "dev", image_tag)
    assert deployed.returncode == 0, deployed.stderr
    assert "Step" in deployed.stdout  # build progress was shown
    listing = subprocess.run(
        ["docker", "run", "--rm", image_tag, "ls", "-a", "/opt/flowyard/project"],
        capture_output=True,
        text=True,
    )
    assert "flows.py" in listing.stdout and ".venv" not in listing.stdout
    dep = cli_json("deployment", "inspect", "tutorial/dev", env=server.env())
    assert dep["job_variables"]["image"] == image_tag and dep["path"] == "/opt/flowyard/project"
    run = cli_json("deployment", "run", "tutorial/dev", "--param", "name=ann", env=server.env())
    final = wait_final(http, run["id"])
    assert final["state_type"] == "COMPLETED", final
    assert "hello ann from a container" in e2e.run_logs(http, run["id"])
    info = container(final["infrastructure_id"])
    assert info is not None and info["Config"]["Image"] == image_tag
    assert info["Config"]["Labels"]["flowyard.flow-run-id"] == run["id"]
    env = dict(item.split("=", 1) for item in info["Config"]["Env"])
    assert env["FLOWYARD_FLOW_RUN_ID"] == run["id"] and env["FLOWYARD_CLAIM_ID"]
    docker_pool.wait_for_output("hello ann from a container")  # stream_output


def test_cancelling_a_long_run_removes_its_container(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    docker_pool: WorkerProcess,
) -> None:
    assert deploy(server, project, base_image, "long_one", "dev", image_tag).returncode == 0
    run = cli_json("deployment", "run", "long-one/dev", env=server.env())
    running = wait_final(http, run["id"], frozenset({"RUNNING"}))
    container_id = (
        running["infrastructure_id"]
        or http.get(f"/flow_runs/{run['id']}").json()["infrastructure_id"]
    )
    assert container(container_id)["State"]["Running"]  # type: ignore[index]
    assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0
    assert wait_final(http, run["id"], timeout=30)["state_type"] == "CANCELLED"
    e2e.wait_until(
        lambda: container(container_id) is None, 15, lambda: "the container is still there"
    )


def test_an_oom_killed_container_ends_crashed_with_the_reason(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    docker_pool: WorkerProcess,
) -> None:
    assert (
        deploy(
            server,
            project,
            base_image,
            "hog",
            "dev",
            image_tag,
            mem_limit="64m",
            memswap_limit="64m",
        ).returncode
        == 0
    )
    run = cli_json("deployment", "run", "hog/dev", env=server.env())
    final = wait_final(http, run["id"])
    assert final["state_type"] == "CRASHED", final
    assert "OOMKilled" in final["state_message"] and "64m" in final["state_message"]


def test_a_command_that_exits_without_a_state_is_crashed_with_its_code(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    docker_pool: WorkerProcess,
) -> None:
    assert (
        deploy(
            server, project, base_image, "tutorial", "dev", image_tag, command="sh -c 'exit 3'"
        ).returncode
        == 0
    )
    run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
    final = wait_final(http, run["id"])
    assert final["state_type"] == "CRASHED"
    assert "exited with code 3" in final["state_message"]


def test_a_worker_killed_and_restarted_mid_run_reattaches_and_reports_the_containers_exit(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    tmp_path: Path,
) -> None:
    workers = e2e.pool_workers(
        server, "dock", "docker", directory=tmp_path, worker_args=("--name", "docker-1")
    )
    with workers as pool:
        assert deploy(server, project, base_image, "dies_hard", "dev", image_tag).returncode == 0
        first = pool.start("worker.log")
        run = cli_json("deployment", "run", "dies-hard/dev", env=server.env())
        wait_final(http, run["id"], frozenset({"RUNNING"}))
        first.stop(signal.SIGKILL)  # the container goes on without it
        second = pool.start("worker-2.log")  # the same --name: it re-attaches to the container
        final = wait_final(http, run["id"])

    assert final["state_type"] == "CRASHED", final
    assert "The container exited with code 3." in final["state_message"]
    assert f"Re-attached to flow run {run['name']} ({run['id']})" in second.output()


def test_a_failing_build_stops_the_deploy(
    server: RunningServer, http: httpx.Client, project: Path, base_image: str, image_tag: str
) -> None:
    e2e.create_work_pool(server, "dock", "docker")
    (project / "requirements.txt").write_text("this-package-does-not-exist-anywhere==0.0.1\n")
    failed = deploy(server, project, base_image, "tutorial", "dev", image_tag)
    assert failed.returncode != 0
    assert "Building image" in failed.stderr and "failed" in failed.stderr
    assert http.get("/deployments").json() == []  # nothing registered


def test_own_dockerfile_and_base_image_argument(
    server: RunningServer, project: Path, base_image: str, image_tag: str
) -> None:
    """`DeploymentImage(dockerfile=...)` uses the project's Dockerfile; `base_image=` feeds the generated one."""
    e2e.create_work_pool(server, "dock", "docker")
    (project / "Dockerfile.custom").write_text(
        f"FROM {base_image}\nCOPY flows.py /opt/flowyard/project/flows.py\nRUN echo custom-build-ran > /marker\n"
    )
    code = (
        "from flowyard import DeploymentImage\nfrom flows import tutorial\n"
        f"tutorial.deploy('own', work_pool_name='dock', image=DeploymentImage(name={image_tag.split(':')[0]!r}, tag='1', dockerfile='Dockerfile.custom'))"
    )
    done = run_python(project, code, server.env())
    assert done.returncode == 0, done.stderr
    marker = subprocess.run(
        ["docker", "run", "--rm", image_tag, "cat", "/marker"], capture_output=True, text=True
    )
    assert marker.stdout.strip() == "custom-build-ran"
    code = (
        "from flowyard import DeploymentImage\nfrom flows import tutorial\n"
        f"tutorial.deploy('gen', work_pool_name='dock', image=DeploymentImage(name={image_tag!r}, base_image={base_image!r}))"
    )
    done = run_python(project, code, server.env(FLOWYARD_DOCKER_BASE_IMAGE="no-such-base:0"))
    assert done.returncode == 0, done.stderr  # the argument wins over the setting


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    """A real Docker registry (Debian's docker-registry, distribution v2) on loopback."""
    process, address = start_registry(tmp_path)
    yield address
    process.terminate()
    process.wait(timeout=10)


def test_push_sends_the_image_to_the_registry(
    server: RunningServer, project: Path, base_image: str, registry: str
) -> None:
    e2e.create_work_pool(server, "dock", "docker")
    image = f"{registry}/team/flows:7"
    try:
        done = deploy(server, project, base_image, "tutorial", "pushed", image)
        assert done.returncode == 0  # built without pushing first
        code = f"from flows import tutorial\ntutorial.deploy('pushed', work_pool_name='dock', image={image!r}, push=True, job_variables={{'network_mode': 'host'}})"
        pushed = run_python(project, code, server.env(FLOWYARD_DOCKER_BASE_IMAGE=base_image))
        assert pushed.returncode == 0, pushed.stderr
        tags = httpx.get(f"http://{registry}/v2/team/flows/tags/list").json()
        assert tags["tags"] == ["7"]
    finally:
        subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True)
