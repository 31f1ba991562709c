"""A real Docker engine for tests, and an image with this checkout's flowyard in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def engine_or_skip() -> None:
    """Skip unless a Docker engine answers (scripts/test starts one; FLOWYARD_SKIP_DOCKER skips)."""
    import os

    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    import docker
    from docker.errors import DockerException

    try:
        docker.from_env().ping()
    except DockerException as exc:
        pytest.fail(f"no Docker engine ({exc}); scripts/test starts one with scripts/start-dockerd")


def flowyard_image() -> str:
    """The tag of an image with this checkout's flowyard installed (built once per source hash)."""
    subprocess.run(
        [str(ROOT / "scripts" / "build-python-base-image")], check=True, capture_output=True
    )
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]
