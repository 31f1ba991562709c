"""The deployment images for tests, built once per content hash by contrib/docker/build-image."""

from __future__ import annotations

import subprocess
from pathlib import Path

from flowyard_fakes.images import build_base_image, engine_or_skip

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["ROOT", "build", "engine_or_skip"]


def build(kind: str) -> str:
    """Build (or find) the ``server``, ``worker`` or ``postgres`` image and return its tag."""
    build_base_image()
    result = subprocess.run(
        [str(ROOT / "contrib" / "docker" / "build-image"), kind],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
