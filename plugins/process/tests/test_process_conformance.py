"""The process worker type passes flowyard's worker-type conformance kit."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from flowyard.testing.conformance import InfrastructureView, WorkerTypeConformance
from flowyard.testing.kit import Capability, _Context, requires
from flowyard.testing.plugin import SQLITE_ONLY
from flowyard_process.job import ProcessJob


def _environ(pid: int) -> dict[str, str] | None:
    """A live process's environment from /proc (None once it has exited)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def _running(pid: int) -> bool:
    """True while the process group led by ``pid`` has a member (the kill hook signals the group)."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # the leader is gone but the group still has members
    return state != "Z"


class TestProcessConformance(WorkerTypeConformance):
    worker_type = "process"
    job_model = ProcessJob
    python = sys.executable
    unknown_infrastructure_id = "no-such-pid"
    not_supported = {}

    def inspect_infrastructure(self, infrastructure_id: str) -> InfrastructureView:
        """A process has no labels; its env is readable only while it runs."""
        pid = int(infrastructure_id.rpartition(":")[2])
        return InfrastructureView(running=_running(pid), labels=None, env=_environ(pid))

    @SQLITE_ONLY
    @requires(Capability.RUN, Capability.INSPECT)
    def test_infrastructure_carries_the_runs_labels_and_env(
        self, kit: _Context, engine_mode: str
    ) -> None:
        """The kit's check, cold only: a warm run is forked from the fork server and sets the
        run's environment after the fork, so ``/proc/<pid>/environ`` (what ``ps e`` shows) is the
        fork server's. The run itself sees its env in both modes
        (``test_trivial_flow_completes_with_its_env``)."""
        if engine_mode == "warm":
            pytest.skip("a warm run's /proc/<pid>/environ is its fork server's")
        super().test_infrastructure_carries_the_runs_labels_and_env(kit)
