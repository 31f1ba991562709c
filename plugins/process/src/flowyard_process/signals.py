"""Signal a flow run's process group, and explain how a process ended."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from flowyard.errors import InfrastructureNotAvailable, InfrastructureNotFound


def explain_exit(code: int) -> str | None:
    """A sentence for a non-zero exit code (negative: killed by that signal)."""
    if code == 0:
        return None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = (
            " (killed from outside, e.g. by the OOM killer or `kill -9`)"
            if -code == signal.SIGKILL
            else ""
        )
        return f"The process was terminated by {name}{hint}."
    if code > 128:
        try:
            return f"The process exited with code {code} ({signal.Signals(code - 128).name})."
        except ValueError:
            pass
    if code == 127:
        return "The process exited with code 127: its command was not found."
    return f"The process exited with code {code}."


def parse_id(infrastructure_id: str) -> int:
    """The pid of ``<host>:<pid>``; raises when the process lives on another host."""
    host, _, pid = infrastructure_id.rpartition(":")
    if not pid.isdigit():
        raise InfrastructureNotFound(f"{infrastructure_id!r} is not a process infrastructure id")
    if host and host != socket.gethostname():
        raise InfrastructureNotAvailable(
            f"Process {pid} runs on host {host!r}, not on this worker's host {socket.gethostname()!r}."
        )
    return int(pid)


def _alive(pgid: int) -> bool:
    """Is any process of the group still running? (zombies waiting to be reaped do not count)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def terminate_group(infrastructure_id: str, grace_seconds: float) -> None:
    """SIGTERM the process group led by the run's process; SIGKILL after ``grace_seconds``."""
    pid = parse_id(infrastructure_id)
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError as exc:
        raise InfrastructureNotFound(f"Process {pid} is already gone.") from exc
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
