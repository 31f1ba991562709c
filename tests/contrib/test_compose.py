"""The compose recipe: PostgreSQL + migrate + server + process worker, driven by docker-compose.

Debian's ``docker-compose`` (1.29) runs contrib/compose/compose.yaml unchanged; the images come
from the session fixtures (built locally, no registry).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from contrib_images import ROOT

pytestmark = [pytest.mark.docker, pytest.mark.slow]

COMPOSE_FILE = ROOT / "contrib" / "compose" / "compose.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    """One compose project: run docker-compose commands against it and reach its server."""

    def __init__(self, env: dict[str, str], env_file: Path, project: str, port: int) -> None:
        self.env, self.env_file, self.project = env, env_file, project
        self.url = f"http://127.0.0.1:{port}/api"

    def compose(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        """``docker-compose -p <project> -f compose.yaml --env-file <file> <args>``."""
        command = ["docker-compose", "-p", self.project, "-f", str(COMPOSE_FILE)]
        command += ["--env-file", str(self.env_file), *args]
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def up(self) -> None:
        """Start the stack and wait until the server is ready."""
        result = self.compose("up", "-d")
        assert result.returncode == 0, result.stdout + result.stderr
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, self.compose("logs").stdout
            time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(
    server_image: str,
    worker_image: str,
    postgres_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The compose stack, up; removed with its volume afterwards."""
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: apt-get install docker-compose (scripts/test does)")
    port = _free_port()
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env_file.write_text(
        f"POSTGRES_PASSWORD=test-{os.getpid()}\nFLOWYARD_PUBLISH=127.0.0.1:{port}\n"
    )
    env = {
        **os.environ,
        "FLOWYARD_SERVER_IMAGE": server_image,
        "FLOWYARD_WORKER_IMAGE": worker_image,
        "FLOWYARD_POSTGRES_IMAGE": postgres_image,
    }
    stack = Stack(env, env_file, f"flowyardtest{os.getpid()}", port)
    try:
        stack.up()
        yield stack
    finally:
        stack.compose("down", "-v", "--timeout", "5")


def _wait_worker_online(api: httpx.Client) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        response = api.get("/work_pools/local/workers")
        if response.status_code == 200:
            online = [w for w in response.json() if w["status"] == "ONLINE"]
            if online:
                return online[0]
        assert time.monotonic() < deadline, response.text
        time.sleep(0.5)


def test_compose_stack_runs_a_deployed_flow_and_keeps_it_across_down_and_up(stack: Stack) -> None:
    api = httpx.Client(base_url=stack.url, timeout=10)
    worker = _wait_worker_online(api)
    assert worker["name"] == "compose-worker"

    deployed = stack.compose(
        "exec",
        "-T",
        "worker",
        "python",
        "-c",
        "from hello import hello; hello.deploy('compose', work_pool_name='local')",
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    ran = stack.compose(
        "exec",
        "-T",
        "worker",
        "flowyard",
        "deployment",
        "run",
        "hello/compose",
        "--param",
        "name=yard",
        "--watch",
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    runs = api.post("/flow_runs/filter", json={"work_pool_name": "local"}).json()
    assert [r["state_type"] for r in runs] == ["COMPLETED"]
    run_id = runs[0]["id"]
    logs = " ".join(line["message"] for line in api.get(f"/flow_runs/{run_id}/logs").json())
    assert "hello yard" in logs

    down = stack.compose("down", "--timeout", "10")
    assert down.returncode == 0, down.stderr
    stack.up()
    assert api.get(f"/flow_runs/{run_id}").json()["state_type"] == "COMPLETED"
    assert api.get("/deployments/name/hello/compose").status_code == 200
