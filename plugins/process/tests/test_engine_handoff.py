"""What the process type passes to the run's engine and learns back from it, warm and cold."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
from flowyard.engine import handoff
from flowyard.job import FlowRunInfo
from flowyard.schemas.common import StateType
from flowyard_process import worker
from flowyard_process.job import ProcessJob

RUN = FlowRunInfo(id="r1", name="handoff-otter", engine_handoff='{"flow_run_id":"r1"}')


def job(code: str, **extra: object) -> ProcessJob:
    rendered = worker.render(
        configuration={"command": [sys.executable, "-c", code], **extra}, flow_run=RUN
    )
    assert isinstance(rendered, ProcessJob)
    return rendered


def run(spec: ProcessJob, flow_run: FlowRunInfo = RUN) -> tuple[int, StateType | None]:
    submission = worker.submit(job=spec, flow_run=flow_run)
    status = worker.observe(job=spec, submission=submission, flow_run=flow_run)
    return status.code, status.final_state


def test_the_run_gets_the_workers_handoff_in_its_environment(engine_mode: str) -> None:
    code = (
        f"import os, sys; sys.exit(os.environ[{handoff.HANDOFF_ENV!r}] != {RUN.engine_handoff!r})"
    )
    assert run(job(code)) == (0, None)


def test_a_run_without_a_handoff_gets_none(engine_mode: str) -> None:
    code = f"import os, sys; sys.exit({handoff.HANDOFF_ENV!r} in os.environ)"
    assert run(job(code), FlowRunInfo(id="r2", name="bare-otter")) == (0, None)


def test_the_final_state_the_engine_records_comes_back_with_the_exit_status(
    engine_mode: str,
) -> None:
    code = f"import os\nopen(os.environ[{handoff.RESULT_ENV!r}], 'w').write('COMPLETED')\n"
    assert run(job(code)) == (0, StateType.COMPLETED)


def test_the_result_file_is_removed_after_the_exit(engine_mode: str, tmp_path: Path) -> None:
    code = (
        f"import os, pathlib; pathlib.Path('where').write_text(os.environ[{handoff.RESULT_ENV!r}])"
    )
    run(job(code, working_dir=str(tmp_path)))
    recorded = (tmp_path / "where").read_text()
    assert recorded and not os.path.exists(recorded)


def test_an_exit_without_a_recorded_state_leaves_the_final_state_unknown(engine_mode: str) -> None:
    assert run(job("import sys; sys.exit(3)")) == (3, None)


def test_a_python_command_is_not_told_an_infrastructure_id(
    engine_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(handoff.INFRASTRUCTURE_ID_ENV, "the-workers-own")
    code = f"import os, sys; sys.exit({handoff.INFRASTRUCTURE_ID_ENV!r} in os.environ)"
    spec = job(code)
    submission = worker.submit(job=spec, flow_run=RUN)
    status = worker.observe(job=spec, submission=submission, flow_run=RUN)
    assert (status.code, submission.reported_by_engine) == (0, False)


def test_only_a_warm_engine_reports_its_own_infrastructure_id(engine_mode: str) -> None:
    spec = worker.render(configuration={}, flow_run=RUN)  # the default command: the engine
    submission = worker.submit(job=spec, flow_run=RUN)
    worker.observe(job=spec, submission=submission, flow_run=RUN)  # exits 2: no run id
    assert submission.reported_by_engine is (engine_mode == "warm")


def test_a_warm_child_learns_its_infrastructure_id_before_it_runs(engine_mode: str) -> None:
    if engine_mode == "cold":
        pytest.skip("only the fork server can tell a child its pid before it runs")
    from flowyard_process import warm

    expected = f"{socket.gethostname()}:"
    code = f"import os, sys; sys.exit(os.environ['X'] != {expected!r} + str(os.getpid()))"
    child = warm.start_warm(
        [sys.executable, "-c", code], os.getcwd(), dict(os.environ), None, ("X", expected)
    )
    assert child is not None and child.wait(30) == 0
