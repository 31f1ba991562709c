"""submit / observe / kill of the process type, with real subprocesses."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from flowyard.errors import InfrastructureNotAvailable, InfrastructureNotFound
from flowyard.job import FlowRunInfo
from flowyard_process import worker
from flowyard_process.job import ProcessJob

RUN = FlowRunInfo(id="r1", name="brave-otter")


def job(code: str, **extra: object) -> ProcessJob:
    rendered = worker.render(
        configuration={"command": [sys.executable, "-c", code], **extra}, flow_run=RUN
    )
    assert isinstance(rendered, ProcessJob)
    return rendered


def test_exit_zero_with_env_and_scratch_dir(capfd: pytest.CaptureFixture[str]) -> None:
    os.environ["FLOWYARD_TEST_DROP_ME"] = "1"
    try:
        spec = job(
            "import os; print(os.environ['GREETING'], 'FLOWYARD_TEST_DROP_ME' in os.environ, os.getcwd())",
            env={"GREETING": "hello", "FLOWYARD_TEST_DROP_ME": None},
        )
        submission = worker.submit(job=spec, flow_run=RUN)
        status = worker.observe(job=spec, submission=submission, flow_run=RUN)
    finally:
        del os.environ["FLOWYARD_TEST_DROP_ME"]
    assert status.code == 0 and status.reason is None
    out = capfd.readouterr().out
    greeting, dropped, cwd = out.split()
    assert (greeting, dropped) == ("hello", "False")
    assert "flowyard-brave-otter-" in cwd and not Path(cwd).exists()  # scratch dir cleaned up


def test_the_engine_removes_its_scratch_dir_even_when_the_worker_never_sees_it_exit() -> None:
    """A worker killed while its run goes on: nobody observes the exit, the engine cleans up."""
    spec = worker.render(
        configuration={"command": [sys.executable, "-m", "flowyard.engine"]}, flow_run=RUN
    )
    assert isinstance(spec, ProcessJob)
    submission = worker.submit(job=spec, flow_run=RUN)
    handle = submission.handle
    assert handle.scratch_dir is not None  # (a warm engine may be done with it already)
    try:
        assert handle.process.wait(30) == 2  # no run id: the engine ends as misconfigured
    finally:
        if handle.result_file:
            Path(handle.result_file).unlink(missing_ok=True)
    assert not Path(handle.scratch_dir).exists()


def test_working_dir_and_quiet_output(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    spec = job(
        "import os; open('here', 'w').write(os.getcwd()); print('noise')",
        working_dir=str(tmp_path),
        stream_output=False,
    )
    status = worker.observe(
        job=spec, submission=worker.submit(job=spec, flow_run=RUN), flow_run=RUN
    )
    assert status.code == 0
    assert (tmp_path / "here").read_text() == str(tmp_path)
    assert "noise" not in capfd.readouterr().out


def test_non_zero_exit_is_explained() -> None:
    spec = job("raise SystemExit(3)")
    status = worker.observe(
        job=spec, submission=worker.submit(job=spec, flow_run=RUN), flow_run=RUN
    )
    assert status.code == 3 and status.reason == "The process exited with code 3."


def test_bad_command_and_dir_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="command: executable 'no-such-binary-xyz'"):
        worker.submit(
            job=worker.render(configuration={"command": "no-such-binary-xyz --x"}, flow_run=RUN),
            flow_run=RUN,
        )
    with pytest.raises(ValueError, match="working_dir"):
        worker.submit(job=job("pass", working_dir=str(tmp_path / "missing")), flow_run=RUN)


def test_kill_terminates_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time;"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(marker)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    spec = job(code)
    submission = worker.submit(job=spec, flow_run=RUN)
    deadline = time.monotonic() + 10
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    grandchild = int(marker.read_text())
    started = time.monotonic()
    worker.kill(infrastructure_id=submission.infrastructure_id, job=spec, grace_seconds=5)
    status = worker.observe(job=spec, submission=submission, flow_run=RUN)
    assert time.monotonic() - started < 5  # SIGTERM was enough
    assert status.code == -15 and "SIGTERM" in (status.reason or "")
    deadline = time.monotonic() + 5
    while (
        Path(f"/proc/{grandchild}").exists()
        and "Z" not in Path(f"/proc/{grandchild}/stat").read_text().split()[2]
    ):
        assert time.monotonic() < deadline, "the grandchild survived"
        time.sleep(0.05)


def test_kill_escalates_to_sigkill_after_the_grace_period() -> None:
    spec = job(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)",
        stream_output=False,
    )
    submission = worker.submit(job=spec, flow_run=RUN)
    time.sleep(0.5)  # let it install the handler
    started = time.monotonic()
    worker.kill(infrastructure_id=submission.infrastructure_id, job=spec, grace_seconds=1)
    status = worker.observe(job=spec, submission=submission, flow_run=RUN)
    assert 0.9 < time.monotonic() - started < 5
    assert status.code == -9 and "SIGKILL" in (status.reason or "")


def test_kill_of_a_finished_or_foreign_process() -> None:
    spec = job("pass")
    submission = worker.submit(job=spec, flow_run=RUN)
    worker.observe(job=spec, submission=submission, flow_run=RUN)
    with pytest.raises(InfrastructureNotFound):
        worker.kill(infrastructure_id=submission.infrastructure_id, job=spec, grace_seconds=1)
    with pytest.raises(InfrastructureNotAvailable):
        worker.kill(infrastructure_id="some-other-host:1234", job=spec, grace_seconds=1)
