"""Fixtures: moto in server mode (one process per session), reset per test, and the ECS agent."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flowyard_fakes.ecs import FakeAws, MotoServer, fake_aws

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """``python -m flowyard_fakes.ecs.server`` on a free loopback port."""
    server = MotoServer(log_file=tmp_path_factory.mktemp("moto") / "moto.log").start()
    yield server
    server.stop()


@pytest.fixture
def aws_records(moto_server: MotoServer) -> Iterator[FakeAws]:
    """The fake with nothing running the tasks: they stay PROVISIONING as moto records them."""
    with fake_aws(moto_server, run_containers=False) as aws:
        yield aws


def engine_or_skip() -> None:
    """Skip unless a Docker engine answers (scripts/test starts one; FLOWYARD_SKIP_DOCKER skips)."""
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    import docker
    from docker.errors import DockerException

    try:
        docker.from_env().ping()
    except DockerException as exc:
        pytest.fail(f"no Docker engine ({exc}); scripts/test starts one with scripts/start-dockerd")


@pytest.fixture
def aws(moto_server: MotoServer) -> Iterator[FakeAws]:
    """The fake with the agent running each task's container on the Docker engine."""
    engine_or_skip()
    with fake_aws(moto_server) as aws:
        yield aws


@pytest.fixture(scope="session")
def flowyard_image() -> str:
    """An image with this checkout's flowyard (scripts/build-flowyard-image, cached by source hash)."""
    engine_or_skip()
    subprocess.run(
        [str(ROOT / "scripts" / "build-python-base-image")], check=True, capture_output=True
    )
    built = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], check=True, capture_output=True, text=True
    )
    return built.stdout.strip().splitlines()[-1]
