"""What the worker hands the engine in its environment, and what the engine hands back."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from flowyard.engine import handoff
from flowyard.schemas.common import StateType
from flowyard.schemas.runs import ClaimedRun, Deployment, FlowRun

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def claimed(parameters: dict[str, object], deployment_id: str = "d1") -> ClaimedRun:
    run = FlowRun.model_construct(id="r1", deployment_id=deployment_id, parameters=parameters)
    deployment = Deployment.model_construct(id="d1", entrypoint="flows.py:hello", path="/src")
    return ClaimedRun.model_construct(flow_run=run, deployment=deployment, claim_id="c1")


def test_a_claimed_run_is_handed_over_with_its_parameters_entrypoint_and_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = handoff.encode(claimed({"name": "ann"}))
    assert text is not None
    monkeypatch.setenv(handoff.HANDOFF_ENV, text)
    assert handoff.take("r1") == handoff.Handoff(
        "r1", "d1", {"name": "ann"}, "flows.py:hello", "/src"
    )


def test_taking_the_handoff_removes_it_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(handoff.HANDOFF_ENV, handoff.encode(claimed({})) or "")
    handoff.take("r1")
    assert handoff.HANDOFF_ENV not in os.environ


def test_a_handoff_for_another_run_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handoff.HANDOFF_ENV, handoff.encode(claimed({})) or "")
    assert handoff.take("another-run") is None


@pytest.mark.parametrize("text", ["{not json", "[]", json.dumps({"flow_run_id": "r1"})])
def test_a_malformed_handoff_is_ignored(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handoff.HANDOFF_ENV, text)
    assert handoff.take("r1") is None


def test_parameters_too_large_for_the_environment_are_not_handed_over() -> None:
    assert handoff.encode(claimed({"blob": "x" * handoff.MAX_HANDOFF_CHARS})) is None


def test_a_run_of_another_deployment_than_the_claims_is_not_handed_over() -> None:
    assert handoff.encode(claimed({}, deployment_id="d2")) is None


def test_the_recorded_final_state_reads_back(tmp_path: Path) -> None:
    path = str(tmp_path / "state")
    handoff.write_result(path, StateType.FAILED.value)
    assert handoff.read_result(path) == "FAILED"


def test_a_state_that_is_not_final_is_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.write_text("")
    handoff.write_result(str(path), StateType.RUNNING.value)
    assert handoff.read_result(str(path)) is None
