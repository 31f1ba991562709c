"""What a CLI user sees when the server refuses a request: its message, once, and exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

from flowyard.testing.cli import run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer

pytestmark = SQLITE_ONLY


def test_a_missing_pool_is_the_servers_one_line_message(server: RunningServer) -> None:
    result = run_cli("work-pool", "inspect", "nopool", env=server.env())
    assert result.returncode == 1
    assert 'Work pool "nopool" not found.' in result.stderr
    assert "Traceback" not in result.stderr


def test_each_template_error_is_printed_once(server: RunningServer, tmp_path: Path) -> None:
    template = tmp_path / "template.json"
    template.write_text(
        json.dumps(
            {
                "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}"},
                "variables": {"type": "object"},
            }
        )
    )
    result = run_cli(
        "work-pool", "create", "bad", "--type", "docker", "--base-job-template", str(template),
        env=server.env(),
    )  # fmt: skip
    assert result.returncode == 1
    for name in ("cpu", "image"):
        assert result.stderr.count(f"undeclared variable '{name}'") == 1, result.stderr


def test_a_name_the_server_would_refuse_is_refused_naming_the_field(
    server: RunningServer,
) -> None:
    result = run_cli("work-pool", "create", "a/b", "--type", "process", env=server.env())
    assert result.returncode == 1
    assert "name" in result.stderr and "must not contain" in result.stderr
    assert "Traceback" not in result.stderr
