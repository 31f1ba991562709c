"""The warm engine: runs forked from a fork server, and what happens when that server dies."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

import pytest
from flowyard.job import FlowRunInfo
from flowyard_process import warm, worker
from flowyard_process.job import ProcessJob

RUN = FlowRunInfo(id="r1", name="warm-otter")


def job(code: str, **extra: object) -> ProcessJob:
    rendered = worker.render(
        configuration={"command": [sys.executable, "-c", code], **extra}, flow_run=RUN
    )
    assert isinstance(rendered, ProcessJob)
    return rendered


def test_a_python_command_is_forked_warm_only_when_the_setting_is_on(engine_mode: str) -> None:
    submission = worker.submit(job=job("pass"), flow_run=RUN)
    worker.observe(job=job("pass"), submission=submission, flow_run=RUN)
    assert submission.details["warm"] is (engine_mode == "warm")


def test_a_warm_run_is_its_own_session_and_process_group(engine_mode: str) -> None:
    spec = job("import os, sys; sys.exit(0 if os.getsid(0) == os.getpgid(0) == os.getpid() else 5)")
    status = worker.observe(
        job=spec, submission=worker.submit(job=spec, flow_run=RUN), flow_run=RUN
    )
    assert status.code == 0


def test_a_non_python_command_starts_cold(engine_mode: str) -> None:
    spec = worker.render(configuration={"command": "true"}, flow_run=RUN)
    submission = worker.submit(job=spec, flow_run=RUN)
    assert worker.observe(job=spec, submission=submission, flow_run=RUN).code == 0
    assert submission.details["warm"] is False


def test_a_run_changing_python_startup_variables_starts_cold(engine_mode: str) -> None:
    spec = job("pass", env={"PYTHONPATH": "/somewhere/else"})
    submission = worker.submit(job=spec, flow_run=RUN)
    assert worker.observe(job=spec, submission=submission, flow_run=RUN).code == 0
    assert submission.details["warm"] is False


def test_a_signal_exit_is_reported_like_popen(engine_mode: str) -> None:
    spec = job("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    status = worker.observe(
        job=spec, submission=worker.submit(job=spec, flow_run=RUN), flow_run=RUN
    )
    assert status.code == -signal.SIGKILL
    assert status.reason is not None and "SIGKILL" in status.reason


def test_a_dead_fork_server_means_cold_starts_with_a_warning(
    engine_mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    if engine_mode == "cold":
        pytest.skip("only the warm engine has a fork server")
    first = worker.submit(job=job("pass"), flow_run=RUN)
    worker.observe(job=job("pass"), submission=first, flow_run=RUN)
    pid = warm.server_pid()
    assert first.details["warm"] is True and pid is not None
    with caplog.at_level(logging.WARNING, logger="flowyard.worker.process"):
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while warm.server_pid() is not None:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        after = worker.submit(job=job("raise SystemExit(4)"), flow_run=RUN)
        status = worker.observe(job=job("raise SystemExit(4)"), submission=after, flow_run=RUN)
    assert after.details["warm"] is False and status.code == 4
    assert "fork server exited" in caplog.text and "start cold" in caplog.text


def test_a_run_outliving_its_fork_server_ends_with_an_unknown_status(engine_mode: str) -> None:
    if engine_mode == "cold":
        pytest.skip("only the warm engine has a fork server")
    spec = job("import time; time.sleep(1)")
    submission = worker.submit(job=spec, flow_run=RUN)
    pid = warm.server_pid()
    assert submission.details["warm"] is True and pid is not None
    os.kill(pid, signal.SIGKILL)
    status = worker.observe(job=spec, submission=submission, flow_run=RUN)
    assert status.code == 1
    assert status.reason is not None and "exit status is unknown" in status.reason
