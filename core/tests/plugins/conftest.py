"""Fixtures for plugin tests: a throwaway site directory for fake installed distributions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """A site directory for ``install_fake_distribution``; removed from ``sys.path`` afterwards,
    with the test modules it imported (``fy_*``, ``broken_*``)."""
    site_dir = tmp_path / "site"
    before = set(sys.modules)
    yield site_dir
    if str(site_dir) in sys.path:
        sys.path.remove(str(site_dir))
    for name in set(sys.modules) - before:
        if name.startswith(("fy_", "broken_")):
            del sys.modules[name]
