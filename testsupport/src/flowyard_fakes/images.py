"""The local images the fakes run, built by this checkout's scripts (no registry is reachable on
the test machines): the debootstrap base (``scripts/build-python-base-image``) and an image with
this checkout's flowyard installed on it (``scripts/build-flowyard-image``). Both are cached by
tag, so only the first call after a source change builds anything.

The checkout is the one this package is installed from (``pip install -e testsupport``), or the
one ``FLOWYARD_CHECKOUT`` names.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

BASE_IMAGE = "flowyard-python-base:bookworm"
"""The tag ``scripts/build-python-base-image`` builds."""


def checkout_root() -> Path:
    """The flowyard checkout whose ``scripts/`` build the images."""
    named = os.environ.get("FLOWYARD_CHECKOUT")
    candidates = [Path(named)] if named else list(Path(__file__).resolve().parents)
    for candidate in candidates:
        if (candidate / "scripts" / "build-flowyard-image").is_file():
            return candidate
    raise RuntimeError(
        "no flowyard checkout found: install testsupport editable from one "
        "(pip install -e testsupport) or set FLOWYARD_CHECKOUT to its directory"
    )


def skip_without_docker() -> None:
    """Skip the test when ``FLOWYARD_SKIP_DOCKER`` is set."""
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")


def engine_or_skip() -> None:
    """Skip when ``FLOWYARD_SKIP_DOCKER`` is set; fail clearly when no Docker engine answers."""
    skip_without_docker()
    import docker
    from docker.errors import DockerException

    try:
        docker.from_env().ping()
    except DockerException as exc:
        pytest.fail(f"no Docker engine ({exc}); scripts/test starts one with scripts/start-dockerd")


def build_base_image() -> str:
    """Build (or find) the local base image; returns its tag, :data:`BASE_IMAGE`."""
    script = checkout_root() / "scripts" / "build-python-base-image"
    subprocess.run([str(script)], check=True, capture_output=True)
    return BASE_IMAGE


def flowyard_image() -> str:
    """The tag of an image with this checkout's flowyard installed (built once per source hash),
    on the base image (built first when missing)."""
    build_base_image()
    script = checkout_root() / "scripts" / "build-flowyard-image"
    result = subprocess.run([str(script)], check=True, capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1]


def base_image_or_skip() -> str:
    """:func:`build_base_image`, skipping the test when ``FLOWYARD_SKIP_DOCKER`` is set."""
    skip_without_docker()
    return build_base_image()


def flowyard_image_or_skip() -> str:
    """:func:`flowyard_image`, skipping the test when ``FLOWYARD_SKIP_DOCKER`` is set."""
    skip_without_docker()
    return flowyard_image()
