"""Start a flow run's process and wait for it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

from flowyard.job import ExitStatus, FlowRunInfo, Submission

from flowyard_process.job import ProcessJob
from flowyard_process.signals import explain_exit


def _environment(job: ProcessJob) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in job.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def launch(job: ProcessJob, flow_run: FlowRunInfo) -> Submission:
    """Popen the job's argv in a new session; the infrastructure id is ``<host>:<pid>``.

    With no ``working_dir`` the process starts in a fresh temporary directory that is removed when
    it exits. A missing executable or working directory raises ``ValueError`` naming the field.
    """
    argv = job.argv or job.command_argv()
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
    pumps = []
    if process.stdout is not None:
        pumps.append(_pump(process.stdout, sys.stdout))
    return Submission(
        infrastructure_id=f"{socket.gethostname()}:{process.pid}",
        handle=(process, scratch, pumps),
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


def wait(submission: Submission) -> ExitStatus:
    """Block until the process exits; clean its scratch directory; explain the code."""
    process, scratch, pumps = submission.handle
    code = process.wait()
    for pump in pumps:
        pump.join(timeout=5)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return ExitStatus(code=code, reason=explain_exit(code))
