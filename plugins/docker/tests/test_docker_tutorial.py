"""The seed's Docker tutorial, as a new user runs it, against a real Docker engine.

The script is the seed tutorial's `get_repo_info` deploy script with only the image name changed
(a unique tag per test) and, because the test must not depend on the internet, the GitHub API URL
in the flow body replaced by a local stub serving the same JSON fields. Everything else is what a
new user does on a laptop: `flowyard server start` (defaults: loopback), `flowyard work-pool
create ... --type docker`, `flowyard worker start --pool ...`, `python deploy.py` with no registry
(`FLOWYARD_DOCKER_BASE_IMAGE` names the local base, as the deploy error tells a user to do), then
`flowyard deployment run 'get_repo_info/my-first-deployment' --watch` with the tutorial's spelling.
No `network_mode: host`: the container reaches the loopback server through host.docker.internal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from docker_env import engine_or_skip, flowyard_image
from flowyard.server.listen import docker_bridge_address
from flowyard.testing.cli import run_cli, start_cli
from flowyard.testing.e2e import throwaway_image_tag
from flowyard.testing.plugin import free_port

pytestmark = [pytest.mark.docker]

SEED_SCRIPT = """\
import httpx
from flowyard import flow


@flow(log_prints=True)
def get_repo_info(repo_name: str = "PrefectHQ/prefect"):
    url = f"{GITHUB}/repos/{repo_name}"
    response = httpx.get(url)
    response.raise_for_status()
    repo = response.json()
    print(f"{repo_name} repository statistics 🤓:")
    print(f"Stars 🌠 : {repo['stargazers_count']}")
    print(f"Forks 🍴 : {repo['forks_count']}")


if __name__ == "__main__":
    get_repo_info.deploy(
        name="my-first-deployment",
        work_pool_name="my-docker-pool",
        image="{IMAGE}",
        push=False,
        job_variables={"image_pull_policy": "Never"},
    )
"""


class _Repo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"stargazers_count": 4242, "forks_count": 77}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def github_stub() -> Iterator[str]:
    """A stand-in for api.github.com that containers on the bridge reach."""
    bridge = docker_bridge_address()
    if bridge is None:
        pytest.fail("no docker0 bridge: the tutorial test needs Docker's default bridge network")
    stub = ThreadingHTTPServer((bridge, 0), _Repo)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    yield f"http://host.docker.internal:{stub.server_address[1]}"
    stub.shutdown()


@pytest.fixture
def image_tag() -> Iterator[str]:
    with throwaway_image_tag("my-first-deployment-image", "tutorial") as tag:
        yield tag


@pytest.fixture
def user_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`flowyard server start` as a user runs it (loopback, SQLite under FLOWYARD_HOME)."""
    port = free_port()
    env = {
        **os.environ,
        "FLOWYARD_HOME": str(tmp_path / "home"),
        "FLOWYARD_API_URL": f"http://127.0.0.1:{port}/api",
    }
    env.pop("FLOWYARD_DATABASE_URL", None)
    log = (tmp_path / "server.log").open("w")
    server = start_cli("server", "start", "--port", str(port), env=env, log=log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    yield env
    server.terminate()
    server.wait(timeout=20)
    log.close()


def test_the_seed_docker_tutorial_works_as_written(
    tmp_path: Path, user_env: dict[str, str], github_stub: str, image_tag: str
) -> None:
    engine_or_skip()
    base = flowyard_image()
    project = tmp_path / "tutorial"
    project.mkdir()
    script = SEED_SCRIPT.replace("{GITHUB}", github_stub).replace("{IMAGE}", image_tag)
    (project / "deploy.py").write_text(script)

    created = run_cli("work-pool", "create", "my-docker-pool", "--type", "docker", env=user_env)
    assert created.returncode == 0, created.stderr

    without_base = subprocess.run(
        [sys.executable, "deploy.py"],
        cwd=project,
        env={**user_env, "FLOWYARD_DOCKER_BASE_IMAGE": "flowyard-no-such-base:0"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert without_base.returncode != 0
    assert "FLOWYARD_DOCKER_BASE_IMAGE" in without_base.stderr  # says what to do

    deployed = subprocess.run(
        [sys.executable, "deploy.py"],
        cwd=project,
        env={**user_env, "FLOWYARD_DOCKER_BASE_IMAGE": base},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert deployed.returncode == 0, deployed.stderr
    assert "flowyard deployment run 'get-repo-info/my-first-deployment'" in deployed.stdout

    log = (tmp_path / "worker.log").open("w")
    worker = start_cli("worker", "start", "--pool", "my-docker-pool", env=user_env, log=log)
    try:
        watched = run_cli(
            "deployment",
            "run",
            "get_repo_info/my-first-deployment",
            "--watch",
            env=user_env,
            timeout=180,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()
    worker_log = (tmp_path / "worker.log").read_text()
    assert watched.returncode == 0, (watched.stdout, watched.stderr, worker_log)
    assert "PrefectHQ/prefect repository statistics" in watched.stdout
    assert "Stars 🌠 : 4242" in watched.stdout and "Forks 🍴 : 77" in watched.stdout
    assert "Completed" in watched.stdout
