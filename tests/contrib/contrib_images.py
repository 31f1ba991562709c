"""The deployment images for tests, built once per content hash by contrib/docker/build-image."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def engine_or_skip() -> None:
    """Skip when FLOWYARD_SKIP_DOCKER is set; fail clearly when no Docker engine answers."""
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    import docker
    from docker.errors import DockerException

    try:
        docker.from_env().ping()
    except DockerException as exc:
        pytest.fail(f"no Docker engine ({exc}); scripts/test starts one with scripts/start-dockerd")


def build(kind: str) -> str:
    """Build (or find) the ``server``, ``worker`` or ``postgres`` image and return its tag."""
    subprocess.run(
        [str(ROOT / "scripts" / "build-python-base-image")], check=True, capture_output=True
    )
    result = subprocess.run(
        [str(ROOT / "contrib" / "docker" / "build-image"), kind],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
