"""The CLI skeleton, run as a real subprocess like a user would."""

from __future__ import annotations

import json
import subprocess
import sys

from flowyard.templating import validate_base_job_template


def flowyard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowyard.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_command_groups() -> None:
    result = flowyard("--help")
    assert result.returncode == 0
    for group in (
        "work-pool",
        "work-queue",
        "worker",
        "server",
        "deployment",
        "flow-run",
        "version",
    ):
        assert group in result.stdout


def test_version() -> None:
    result = flowyard("version")
    assert result.returncode == 0
    assert result.stdout.startswith("flowyard 0.1.0")


def test_default_template_for_process_is_valid_json() -> None:
    result = flowyard("work-pool", "get-default-base-job-template", "--type", "process")
    assert result.returncode == 0, result.stderr
    validate_base_job_template(json.loads(result.stdout))


def test_default_template_to_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "t.json"
    result = flowyard(
        "work-pool", "get-default-base-job-template", "-t", "process", "-f", str(target)
    )
    assert result.returncode == 0
    assert json.loads(target.read_text())["job_configuration"]["command"] == "{{ command }}"


def test_unknown_type_exits_1_and_lists_known_types() -> None:
    result = flowyard("work-pool", "get-default-base-job-template", "--type", "nope")
    assert result.returncode == 1
    assert "Unknown worker type 'nope'" in result.stderr
    assert "process" in result.stderr


def test_worker_types_json() -> None:
    result = flowyard("worker", "types", "--output", "json")
    assert result.returncode == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["process"]["installed"] is True
    assert rows["process"]["distribution"] == "flowyard-process"
