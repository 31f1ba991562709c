"""Fixtures: moto in server mode (one process per session), reset per test, and the ECS agent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flowyard_fakes import images
from flowyard_fakes.ecs import FakeAws, MotoServer, fake_aws
from flowyard_fakes.images import engine_or_skip

ROOT = images.checkout_root()


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
    return images.flowyard_image()
