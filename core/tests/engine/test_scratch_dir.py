"""A run's scratch working directory is removed by its engine when it ends, so it does not
outlive a worker that died meanwhile; a variable naming anything else removes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from flowyard.engine import handoff


def run_engine_in(directory: Path, named: Path) -> int:
    """``python -m flowyard.engine`` in ``directory`` with ``named`` as its scratch directory
    (no run id: it ends at once, as misconfigured)."""
    env = {k: v for k, v in os.environ.items() if k != "FLOWYARD_FLOW_RUN_ID"}
    env[handoff.SCRATCH_DIR_ENV] = str(named)
    done = subprocess.run(
        [sys.executable, "-m", "flowyard.engine"], cwd=directory, env=env, capture_output=True
    )
    return done.returncode


def test_the_engine_removes_its_scratch_directory_when_it_ends() -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f"{handoff.SCRATCH_PREFIX}test-run-"))
    (scratch / "output.csv").write_text("written by the flow")

    assert run_engine_in(scratch, scratch) == 2
    assert not scratch.exists()


def test_a_directory_outside_the_temp_directory_is_never_removed(tmp_path: Path) -> None:
    named = tmp_path / f"{handoff.SCRATCH_PREFIX}lookalike"  # a flowyard- name, deeper down
    named.mkdir()

    assert run_engine_in(tmp_path, named) == 2
    assert named.is_dir()


def test_a_temp_directory_without_the_flowyard_prefix_is_never_removed() -> None:
    other = Path(tempfile.mkdtemp(prefix="somebody-else-"))
    try:
        assert run_engine_in(other, other) == 2
        assert other.is_dir()
    finally:
        other.rmdir()
