"""Every package in the monorepo moves in lock-step with the core and declares the core range it needs."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[3]
CORE = tomllib.loads((ROOT / "core" / "pyproject.toml").read_text())["project"]
PLUGINS = sorted((ROOT / "plugins").glob("*/pyproject.toml"))


def test_there_are_plugins() -> None:
    assert PLUGINS


@pytest.mark.parametrize("pyproject", PLUGINS, ids=lambda p: p.parent.name)
def test_plugin_version_and_core_range(pyproject: Path) -> None:
    project = tomllib.loads(pyproject.read_text())["project"]
    assert project["version"] == CORE["version"], "core and plugins release together"
    cores = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "flowyard"]
    assert len(cores) == 1, "a plugin declares the core range it works with"
    assert cores[0].specifier.contains(CORE["version"])
    assert project["entry-points"]["flowyard.workers"], "a plugin registers its worker type(s)"


def test_core_brings_the_process_worker() -> None:
    assert any(Requirement(d).name == "flowyard-process" for d in CORE["dependencies"])
