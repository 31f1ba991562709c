"""Run the ``flowyard`` CLI as a real subprocess, the way a user does."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``flowyard <args>`` in a fresh interpreter; returns the finished process (never raises on exit)."""
    return subprocess.run(
        [sys.executable, "-m", "flowyard.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(env) if env is not None else None,
    )


def cli_json(*args: str, env: Mapping[str, str] | None = None) -> Any:
    """``flowyard <args> --output json`` decoded; fails loudly with stderr when the command fails."""
    result = run_cli(*args, "--output", "json", env=env)
    if result.returncode != 0:
        raise AssertionError(
            f"flowyard {' '.join(args)} exited {result.returncode}: {result.stderr}"
        )
    return json.loads(result.stdout)


def start_cli(*args: str, env: Mapping[str, str], log: Any) -> subprocess.Popen[str]:
    """``flowyard <args>`` as a background process writing stdout+stderr to ``log`` (a file)."""
    return subprocess.Popen(
        [sys.executable, "-m", "flowyard.cli", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(env),
    )
