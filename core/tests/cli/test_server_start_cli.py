"""``flowyard server start`` mistakes are one line, not a traceback (subprocesses, no server)."""

from __future__ import annotations

import socket
from pathlib import Path

from flowyard.testing.cli import run_cli


def test_server_start_with_a_bad_port_is_one_line(tmp_path: Path) -> None:
    env = {"FLOWYARD_HOME": str(tmp_path), "PATH": ""}
    bad = run_cli("server", "start", "--port", "99999", env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "99999 is not in the range" in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_cli("server", "start", "--port", str(port), env=env)
    assert busy.returncode == 1 and "Traceback" not in busy.stderr
    assert (
        busy.stderr.strip() == f"Error: Cannot listen on 127.0.0.1:{port}: Address already in use."
    )
