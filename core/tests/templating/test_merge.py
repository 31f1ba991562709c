"""Merging job variables and building job configurations (reference §1.7 T01-T10, T21-T22, §1.8)."""

from __future__ import annotations

from typing import Any

import pytest
from flowyard.job import BaseJobConfiguration, base_job_template
from flowyard.templating import build_job_configuration, merge_job_variables
from flowyard_process.job import ProcessJob
from flowyard_process.variables import ProcessVariables
from pydantic import ValidationError


class DemoConfig(BaseJobConfiguration):
    image: str | None = None
    replicas: int = 1
    timeout: int | None = None
    stream_output: bool = True
    extra: dict[str, Any] = {}


TEMPLATE = {
    "job_configuration": {
        "command": "{{ command }}",
        "env": {"BASE": "1", "SHARED": "from-pool-job-config"},
        "labels": "{{ labels }}",
        "name": "{{ name }}",
        "image": "{{ image }}",
        "replicas": "{{ replicas }}",
        "timeout": "{{ timeout }}",
        "stream_output": "{{ stream_output }}",
        "extra": {"gen": "{{ name }}-", "nested": {"img": "{{ image }}", "t": "{{ timeout }}"}},
    },
    "variables": {
        "type": "object",
        "properties": {
            "command": {"type": "string"},
            "env": {"type": "object", "default": {"SHARED": "from-var-default", "DEF": "d"}},
            "labels": {"type": "object"},
            "name": {"type": "string", "default": None},
            "image": {"type": "string", "default": "python:3.12"},
            "replicas": {"type": "integer", "default": 2},
            "timeout": {"type": "integer"},
            "stream_output": {"type": "boolean", "default": False},
        },
    },
}


def render(values: dict[str, Any]) -> dict[str, Any]:
    merged = merge_job_variables(TEMPLATE, values)
    return DemoConfig.model_validate(build_job_configuration(TEMPLATE, merged)).model_dump()


BASE_ENV = {"BASE": "1", "SHARED": "from-var-default", "DEF": "d"}
BASE = {
    "command": None,
    "env": BASE_ENV,
    "labels": {},
    "name": None,
    "image": "python:3.12",
    "replicas": 2,
    "timeout": None,
    "stream_output": False,
    "extra": {"gen": "-", "nested": {"img": "python:3.12"}},
}


@pytest.mark.parametrize(
    ("vector", "values", "changes"),
    [
        ("T01", {}, {}),
        (
            "T02",
            {"image": "custom:1", "replicas": 5, "env": {"SHARED": "from-deployment", "NEW": 7}},
            {
                "image": "custom:1",
                "replicas": 5,
                "env": {**BASE_ENV, "SHARED": "from-deployment", "NEW": "7"},
                "extra": {"gen": "-", "nested": {"img": "custom:1"}},
            },
        ),
        ("T03", {"env.FOO": "bar"}, {"env": {**BASE_ENV, "FOO": "bar"}}),
        (
            "T04",
            {"env.FOO": "dot", "env": {"FOO": "nested", "X": "x"}},
            {"env": {**BASE_ENV, "FOO": "nested", "X": "x"}},
        ),
        ("T05", {"image": None}, {"image": None, "extra": {"gen": "-", "nested": {"img": None}}}),
        (
            "T06",
            {"timeout": 30, "name": "job"},
            {
                "timeout": 30,
                "name": "job",
                "extra": {"gen": "job-", "nested": {"img": "python:3.12", "t": 30}},
            },
        ),
        ("T08", {"replicas": "5"}, {"replicas": 5}),
        ("T09", {"bogus": 1}, {}),
        (
            "T10",
            {"env": {"N": 1, "B": True, "Z": None}},
            {"env": {**BASE_ENV, "N": "1", "B": "True", "Z": None}},
        ),
    ],
)
def test_reference_merge_vector(
    vector: str, values: dict[str, Any], changes: dict[str, Any]
) -> None:
    assert render(values) == {**BASE, **changes}


def test_t07_wrong_type_fails_at_render() -> None:
    with pytest.raises(ValidationError, match="replicas"):
        render({"replicas": "abc"})


def process(values: dict[str, Any]) -> dict[str, Any]:
    template = base_job_template(ProcessVariables)
    job = ProcessJob.model_validate(
        build_job_configuration(template, merge_job_variables(template, values))
    )
    return job.model_dump(
        include={"command", "env", "labels", "name", "stream_output", "working_dir"}
    )


def test_t21_process_no_values() -> None:
    assert process({}) == {
        "command": None,
        "env": {},
        "labels": {},
        "name": None,
        "stream_output": True,
        "working_dir": None,
    }


def test_t22_process_values() -> None:
    result = process({"working_dir": "/tmp", "env": {"A": "1"}, "stream_output": False})
    assert result["env"] == {"A": "1"}
    assert result["stream_output"] is False
    assert str(result["working_dir"]) == "/tmp"


POOL = base_job_template(ProcessVariables)
POOL["variables"]["properties"]["env"]["default"] = {"POOL": "p", "SHARED": "pool"}
POOL["variables"]["properties"]["labels"]["default"] = {"team": "pool"}


def test_m01_env_merges_per_key_flow_run_wins() -> None:
    deployment = {
        "env": {"SHARED": "dep", "DEP": "d"},
        "stream_output": False,
        "labels": {"x": "dep"},
    }
    flow_run = {"env": {"SHARED": "fr", "FR": "f"}, "labels": {"y": "fr"}}
    merged = merge_job_variables(POOL, deployment, flow_run)
    assert merged["env"] == {"POOL": "p", "SHARED": "fr", "DEP": "d", "FR": "f"}
    assert merged["stream_output"] is False
    # flowyard merges labels per key too (the reference replaces them wholesale: issue #6 there)
    assert merged["labels"] == {"team": "pool", "x": "dep", "y": "fr"}
    assert deployment["env"] == {"SHARED": "dep", "DEP": "d"}  # inputs are never mutated


def test_m02_pool_env_kept_when_flow_run_adds_a_key() -> None:
    merged = merge_job_variables(POOL, {}, {"env": {"FR": "f"}})
    assert merged["env"] == {"POOL": "p", "SHARED": "pool", "FR": "f"}
    assert merged["stream_output"] is True


def test_layers_apply_in_order_defaults_pool_deployment_flow_run() -> None:
    merged = merge_job_variables(POOL, {"command": "pool"}, {"command": "dep"}, {"command": "run"})
    assert merged["command"] == "run"
    assert (
        merge_job_variables(POOL, {"command": "pool"}, {"command": "dep"}, None)["command"] == "dep"
    )


def test_x_merge_deep_merges_nested_objects() -> None:
    template = {
        "job_configuration": {"o": "{{ overrides }}"},
        "variables": {
            "properties": {
                "overrides": {
                    "type": "object",
                    "x-merge": "deep",
                    "default": {"spec": {"cpu": 1, "mem": 2}},
                }
            }
        },
    }
    merged = merge_job_variables(template, {"overrides": {"spec": {"cpu": 4}}})
    assert merged["overrides"] == {"spec": {"cpu": 4, "mem": 2}}


def test_x_merge_replace_turns_off_per_key_merge() -> None:
    template = {
        "job_configuration": {"e": "{{ env }}"},
        "variables": {
            "properties": {"env": {"type": "object", "x-merge": "replace", "default": {"A": "1"}}}
        },
    }
    assert merge_job_variables(template, {"env": {"B": "2"}})["env"] == {"B": "2"}


def test_other_variables_replace() -> None:
    template = {
        "job_configuration": {},
        "variables": {"properties": {"vols": {"type": "object", "default": {"a": 1}}}},
    }
    assert merge_job_variables(template, {"vols": {"b": 2}})["vols"] == {"b": 2}
