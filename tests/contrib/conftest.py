"""Session-wide deployment images shared by the contrib tests."""

from __future__ import annotations

import pytest
from contrib_images import build, engine_or_skip


@pytest.fixture(scope="session")
def server_image() -> str:
    """Tag of the server image (contrib/docker/Dockerfile.server)."""
    engine_or_skip()
    return build("server")


@pytest.fixture(scope="session")
def worker_image() -> str:
    """Tag of the worker image with the process type (contrib/docker/Dockerfile.worker)."""
    engine_or_skip()
    return build("worker")


@pytest.fixture(scope="session")
def postgres_image() -> str:
    """Tag of the PostgreSQL image built from Debian's packages (contrib/docker/Dockerfile.postgres)."""
    engine_or_skip()
    return build("postgres")
