"""Fixtures the push-pool end-to-end modules share."""

from __future__ import annotations

from pathlib import Path

import pytest
from push_env import write_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial project (``flows.py``), one per module."""
    return write_project(tmp_path_factory.mktemp("project"))
