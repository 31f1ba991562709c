"""Start a flow run's process and wait for it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flowyard.job import ExitStatus, FlowRunInfo, Submission

from flowyard_process.job import ProcessJob
from flowyard_process.signals import explain_exit


@dataclass(frozen=True)
class ProcessHandle:
    """What this worker keeps of a started run to observe it: never leaves the process."""

    process: subprocess.Popen[bytes]
    scratch_dir: str | None
    """A temporary working directory to remove when the process exits (None: ``working_dir``)."""
    pumps: tuple[threading.Thread, ...]
    """Threads copying the process's output to the worker's."""


def _environment(job: ProcessJob) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in job.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def launch(job: ProcessJob, flow_run: FlowRunInfo) -> Submission[ProcessHandle]:
    """Popen the job's argv in a new session; the infrastructure id is ``<host>:<pid>``.

    With no ``working_dir`` the process starts in a fresh temporary directory that is removed when
    it exits. A missing executable or working directory raises ``ValueError`` naming the field.
    """
    argv = job.argv or job.command_argv() or job.default_command()
    if job.working_dir is not None and not job.working_dir.is_dir():
        raise ValueError(f"working_dir {str(job.working_dir)!r} is not a directory on this worker")
    if shutil.which(argv[0]) is None and not Path(argv[0]).is_file():
        raise ValueError(f"command: executable {argv[0]!r} was not found on this worker's PATH")
    scratch = None if job.working_dir else tempfile.mkdtemp(prefix=f"flowyard-{flow_run.name}-")
    output = None if job.stream_output else subprocess.DEVNULL
    process = subprocess.Popen(
        argv,
        cwd=job.working_dir or scratch,
        env=_environment(job),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if job.stream_output else output,
        stderr=subprocess.STDOUT if job.stream_output else output,
        start_new_session=True,
    )
    pumps = (_pump(process.stdout, sys.stdout),) if process.stdout is not None else ()
    return Submission(
        infrastructure_id=f"{socket.gethostname()}:{process.pid}",
        handle=ProcessHandle(process, scratch, pumps),
        details={"pid": process.pid, "argv": argv},
    )


def _pump(source: IO[bytes], target: IO[str]) -> threading.Thread:
    """Copy the child's output to ours line by line (so the worker's log shows the flow's)."""

    def copy() -> None:
        for line in iter(source.readline, b""):
            target.write(line.decode(errors="replace"))
            target.flush()
        source.close()

    thread = threading.Thread(target=copy, daemon=True, name="flowyard-process-output")
    thread.start()
    return thread


def wait(submission: Submission[ProcessHandle]) -> ExitStatus:
    """Block until the process exits; clean its scratch directory; explain the code."""
    handle = submission.handle
    if not isinstance(handle, ProcessHandle):
        raise TypeError(
            f"submission {submission.infrastructure_id!r} has no process handle: only the worker "
            "that started a process can observe it"
        )
    code = handle.process.wait()
    for pump in handle.pumps:
        pump.join(timeout=5)
    if handle.scratch_dir:
        shutil.rmtree(handle.scratch_dir, ignore_errors=True)
    return ExitStatus(code=code, reason=explain_exit(code))
