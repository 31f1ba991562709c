"""Fixtures for worker unit tests: the ``memory`` worker type (installed through real entry-point
metadata) and an in-memory API (``fake_api.py``)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fake_api import FakeApi
from flowyard.schemas.runs import FlowRun
from flowyard.testing.distributions import install_fake_distribution

MODULE = "fy_memory_worker"


@pytest.fixture(scope="session")
def memory_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """Install worker type ``memory`` (distribution ``fy-memory``) and import its module."""
    site = tmp_path_factory.mktemp("site")
    install_fake_distribution(
        site,
        "fy-memory",
        entry_points={"flowyard.workers": {"memory": MODULE}},
        modules={f"{MODULE}.py": (Path(__file__).parent / "memory_type.py").read_text()},
    )
    importlib.invalidate_caches()
    yield importlib.import_module(MODULE)
    sys.path.remove(str(site))


@pytest.fixture(scope="session")
def plain_memory_type(
    memory_module: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Worker type ``memory-plain``: the ``memory`` type without its ``reattach`` hook."""
    site = tmp_path_factory.mktemp("site-plain")
    hooks = "default_base_job_template, kill, observe, render, submit"
    install_fake_distribution(
        site,
        "fy-memory-plain",
        entry_points={"flowyard.workers": {"memory-plain": "fy_memory_plain_worker"}},
        modules={"fy_memory_plain_worker.py": f"from {MODULE} import {hooks}  # noqa: F401\n"},
    )
    importlib.invalidate_caches()
    yield "memory-plain"
    sys.path.remove(str(site))


@pytest.fixture
def memory(memory_module: ModuleType) -> Iterator[ModuleType]:
    """The ``memory`` type's module, with no jobs; jobs left running are ended afterwards."""
    memory_module.reset()
    yield memory_module
    memory_module.reset()


@pytest.fixture
def api(memory: ModuleType) -> FakeApi:
    """An in-memory API with pool ``mem`` of type ``memory`` (queues ``default`` and ``fast``)."""
    fake = FakeApi()
    fake.add_pool("mem", "memory", queues=("fast",))
    return fake


@pytest.fixture
def run(api: FakeApi) -> FlowRun:
    """One SCHEDULED run, due now, in the default queue of pool ``mem``."""
    return api.schedule("mem")
