"""Start a flow run's process and wait for it."""

from __future__ import annotations

import contextlib
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

from flowyard.engine import handoff
from flowyard.job import ExitStatus, FlowRunInfo, Submission
from flowyard.schemas.common import StateType

from flowyard_process.job import ProcessJob
from flowyard_process.signals import explain_exit
from flowyard_process.warm import WarmProcess, start_warm


@dataclass(frozen=True)
class ProcessHandle:
    """What this worker keeps of a started run to observe it: never leaves the process."""

    process: subprocess.Popen[bytes] | WarmProcess
    """The run's process: started cold (``Popen``) or forked by the warm engine."""
    scratch_dir: str | None
    """A temporary working directory to remove when the process exits (None: ``working_dir``)."""
    pumps: tuple[threading.Thread, ...]
    """Threads copying the process's output to the worker's."""
    result_file: str | None = None
    """Where the engine records the final state the server accepted (removed after the exit)."""


def _environment(job: ProcessJob, flow_run: FlowRunInfo) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(handoff.HANDOFF_ENV, None)  # never the worker's own (it runs no flow)
    env.pop(handoff.RESULT_ENV, None)
    env.pop(handoff.INFRASTRUCTURE_ID_ENV, None)
    if flow_run.engine_handoff:
        env[handoff.HANDOFF_ENV] = flow_run.engine_handoff
    for key, value in job.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _result_file() -> str:
    """An empty private file the engine writes its accepted final state into."""
    fd, path = tempfile.mkstemp(prefix="flowyard-run-", suffix=".state")
    os.close(fd)
    return path


def _remove(path: str | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


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
    scratch = (
        None
        if job.working_dir
        else tempfile.mkdtemp(prefix=f"{handoff.SCRATCH_PREFIX}{flow_run.name}-")
    )
    cwd = str(job.working_dir or scratch)
    env = _environment(job, flow_run)
    if scratch:  # the engine removes it when it ends, should this worker be gone by then
        env[handoff.SCRATCH_DIR_ENV] = scratch
    result_file = env[handoff.RESULT_ENV] = _result_file()
    host = socket.gethostname()
    # the engine itself, forked: it learns its pid (so its infrastructure id) and reports it
    pid_env = (handoff.INFRASTRUCTURE_ID_ENV, f"{host}:") if argv == job.default_command() else None
    try:
        warm_process, pumps = _start_warm(argv, cwd, env, job.stream_output, pid_env)
        process: subprocess.Popen[bytes] | WarmProcess
        if warm_process is None:
            process, pumps = _start_cold(argv, cwd, env, job.stream_output)
        else:
            process = warm_process
    except BaseException:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        _remove(result_file)
        raise
    warm = isinstance(process, WarmProcess)
    return Submission(
        infrastructure_id=f"{host}:{process.pid}",
        handle=ProcessHandle(process, scratch, pumps, result_file),
        details={"pid": process.pid, "argv": argv, "warm": warm},
        reported_by_engine=warm and pid_env is not None,
    )


def _start_cold(
    argv: list[str], cwd: str, env: dict[str, str], stream_output: bool
) -> tuple[subprocess.Popen[bytes], tuple[threading.Thread, ...]]:
    """A new interpreter for the run (Popen in a new session)."""
    output = subprocess.PIPE if stream_output else subprocess.DEVNULL
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if stream_output else subprocess.DEVNULL,
        start_new_session=True,
    )
    pumps = (_pump(process.stdout, sys.stdout),) if process.stdout is not None else ()
    return process, pumps


def _start_warm(
    argv: list[str],
    cwd: str,
    env: dict[str, str],
    stream_output: bool,
    pid_env: tuple[str, str] | None,
) -> tuple[WarmProcess | None, tuple[threading.Thread, ...]]:
    """A child of the warm engine, its output through a pipe like the cold start's; None: cold."""
    if not stream_output:
        return start_warm(argv, cwd, env, None, pid_env), ()
    read_end, write_end = os.pipe()
    try:
        process = start_warm(argv, cwd, env, write_end, pid_env)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    if process is None:
        os.close(read_end)
        return None, ()
    return process, (_pump(os.fdopen(read_end, "rb"), sys.stdout),)


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
    final = _final_state(handle.result_file)
    if isinstance(handle.process, WarmProcess) and handle.process.lost:
        return ExitStatus(
            code=code,
            reason="The warm engine's fork server died while the process ran, so its exit "
            "status is unknown.",
            final_state=final,
        )
    return ExitStatus(code=code, reason=explain_exit(code), final_state=final)


def _final_state(result_file: str | None) -> StateType | None:
    """The final state the engine recorded (the file is removed); None: none recorded."""
    if result_file is None:
        return None
    recorded = handoff.read_result(result_file)
    _remove(result_file)
    return StateType(recorded) if recorded is not None else None
