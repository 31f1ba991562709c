"""The systemd units, checked by ``systemd-analyze verify`` (offline; no running systemd needed).

The units name ``/opt/flowyard/venv/bin/flowyard``; verify checks that ExecStart is executable,
so the copies under test point at this checkout's ``flowyard`` instead (nothing else changes).
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from contrib_images import ROOT

UNITS = ROOT / "contrib" / "systemd"
INSTALLED = "/opt/flowyard/venv/bin/flowyard"


def _verify(*units: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install systemd")
    return subprocess.run(
        [analyze, "verify", *map(str, units)], capture_output=True, text=True, timeout=60
    )


def _copy(unit: str, tmp_path: Path, as_name: str | None = None) -> Path:
    flowyard = Path(sys.executable).with_name("flowyard")
    target = tmp_path / (as_name or unit)
    target.write_text((UNITS / unit).read_text().replace(INSTALLED, str(flowyard)))
    return target


def _service_section(unit: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / unit).read_text())
    return parser["Service"]


def test_server_unit_verifies_without_warnings(tmp_path: Path) -> None:
    result = _verify(_copy("flowyard-server.service", tmp_path))
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_worker_template_unit_verifies_for_a_pool_instance_without_warnings(tmp_path: Path) -> None:
    result = _verify(_copy("flowyard-worker@.service", tmp_path, "flowyard-worker@etl.service"))
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_verify_reports_a_misspelled_setting(tmp_path: Path) -> None:
    unit = _copy("flowyard-worker@.service", tmp_path, "flowyard-worker@etl.service")
    unit.write_text(unit.read_text().replace("KillMode=mixed", "KillMode=mixd"))
    assert "mixd" in _verify(unit).stderr


def test_worker_stop_signals_only_the_worker_and_waits_for_in_flight_runs() -> None:
    service = _service_section("flowyard-worker@.service")
    assert service["KillMode"] == "mixed"  # SIGTERM to the worker; its runs are not signalled
    assert service["TimeoutStopSec"] == "30min"  # then SIGKILL to whatever is left
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/flowyard/%i.env"
    assert service["ExecStart"].endswith("worker start --pool %i")


def test_server_unit_reads_its_settings_from_an_environment_file() -> None:
    service = _service_section("flowyard-server.service")
    assert service["EnvironmentFile"] == "/etc/flowyard/server.env"
    assert service["User"] == "flowyard" and service["Restart"] == "on-failure"
