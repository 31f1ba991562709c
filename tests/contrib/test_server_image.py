"""The server and worker images: non-root, health-checked, ready on the embedded SQLite."""

from __future__ import annotations

import time
from collections.abc import Iterator

import docker
import httpx
import pytest
from docker.models.containers import Container

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def server(server_image: str) -> Iterator[tuple[Container, str, float]]:
    """A server container on its own SQLite volume: (container, base URL, seconds until ready)."""
    client = docker.from_env()
    started = time.monotonic()
    container = client.containers.run(
        server_image, detach=True, ports={"4200/tcp": ("127.0.0.1", None)}
    )
    try:
        container.reload()
        port = container.attrs["NetworkSettings"]["Ports"]["4200/tcp"][0]["HostPort"]
        url = f"http://127.0.0.1:{port}"
        deadline = started + 60
        while True:
            try:
                if httpx.get(url + "/api/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, container.logs().decode()
            time.sleep(0.1)
        yield container, url, time.monotonic() - started
    finally:
        container.remove(force=True, v=True)


def test_server_container_becomes_ready_on_sqlite_within_seconds(
    server: tuple[Container, str, float],
) -> None:
    _, url, seconds = server
    print(f"server container ready after {seconds:.1f} s")
    body = httpx.get(url + "/api/ready").json()
    assert body == {"status": "ready", "reason": "database reachable, migrations current"}
    assert seconds < 30


def test_server_runs_as_the_unprivileged_flowyard_user(
    server: tuple[Container, str, float],
) -> None:
    container, _, _ = server
    code, out = container.exec_run(["id", "-u"])
    assert code == 0 and out.decode().strip() == "10001"


def test_image_health_check_probes_api_health_and_passes(
    server: tuple[Container, str, float],
) -> None:
    container, _, _ = server
    check = container.attrs["Config"]["Healthcheck"]
    assert "/api/health" in " ".join(check["Test"])
    code, out = container.exec_run(check["Test"][1:])
    assert code == 0, out.decode()


def test_second_server_on_the_same_sqlite_file_is_refused(
    server: tuple[Container, str, float],
) -> None:
    container, _, _ = server
    code, out = container.exec_run(["flowyard", "server", "start", "--port", "4300"])
    text = out.decode()
    assert code == 1
    assert "already uses the SQLite database /var/lib/flowyard/flowyard.db" in text
    assert "FLOWYARD_DATABASE_URL" in text


def test_worker_image_carries_the_process_worker_type(worker_image: str) -> None:
    out = docker.from_env().containers.run(
        worker_image, ["worker", "types"], remove=True, stderr=True
    )
    assert "process" in out.decode()
