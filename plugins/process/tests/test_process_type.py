"""The process worker type's template and render, through the real entry point."""

from __future__ import annotations

import sys

from flowyard.job import FlowRunInfo, base_job_template
from flowyard.plugins import WorkerTypes
from flowyard.templating import (
    build_job_configuration,
    merge_job_variables,
    validate_base_job_template,
)
from flowyard_process.job import ProcessJob
from flowyard_process.variables import ProcessVariables

RUN = FlowRunInfo(id="r1", name="crimson-fox")


def test_the_template_is_derived_from_the_variables_model() -> None:
    hooks = WorkerTypes().hooks("process")
    assert hooks.variables_model() is ProcessVariables
    assert not hooks.implements("default_base_job_template")
    assert hooks.default_base_job_template() == base_job_template(ProcessVariables)


def test_template_covers_the_documented_variables() -> None:
    template = WorkerTypes().hooks("process").default_base_job_template()
    props = template["variables"]["properties"]
    for field in ("command", "env", "labels", "name", "stream_output", "working_dir"):
        assert field in props
        assert props[field]["title"] and props[field]["description"]
    assert props["stream_output"]["default"] is True
    validate_base_job_template(template)


def test_render_produces_a_typed_process_job() -> None:
    hooks = WorkerTypes().hooks("process")
    template = hooks.default_base_job_template()
    values = merge_job_variables(
        template, {"command": "echo 'hello world'", "env": {"A": 1}, "working_dir": "/tmp"}
    )
    job = hooks.render(build_job_configuration(template, values), RUN)
    assert type(job).__name__ == "ProcessJob"
    assert job.argv == ["echo", "hello world"]
    assert job.env == {"A": "1"}
    assert str(job.working_dir) == "/tmp"
    assert job.name == "crimson-fox"


def test_default_command_is_the_engine_with_this_interpreter() -> None:
    hooks = WorkerTypes().hooks("process")
    template = hooks.default_base_job_template()
    job = hooks.render(build_job_configuration(template, merge_job_variables(template)), RUN)
    assert job.argv == [sys.executable, "-m", "flowyard.engine"]


PREFECT_PROCESS_TEMPLATE = {
    "job_configuration": {
        "command": "{{ command }}",
        "env": "{{ env }}",
        "labels": "{{ labels }}",
        "name": "{{ name }}",
        "stream_output": "{{ stream_output }}",
        "working_dir": "{{ working_dir }}",
    },
    "variables": {
        "type": "object",
        "properties": {
            "name": {
                "title": "Name",
                "description": "Name given to infrastructure created by a worker.",
                "type": "string",
            },
            "env": {
                "title": "Environment Variables",
                "description": "Environment variables to set when starting a flow run.",
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "labels": {
                "title": "Labels",
                "description": "Labels applied to infrastructure created by a worker.",
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "command": {
                "title": "Command",
                "description": "The command to use when starting a flow run.",
                "type": "string",
            },
            "stream_output": {
                "title": "Stream Output",
                "description": "If enabled, workers will stream output from flow run processes.",
                "default": True,
                "type": "boolean",
            },
            "working_dir": {
                "title": "Working Directory",
                "description": "If provided, workers will open flow run processes within the path.",
                "type": "string",
                "format": "path",
            },
        },
    },
}


def test_a_prefect_process_template_works_unmodified() -> None:
    validate_base_job_template(PREFECT_PROCESS_TEMPLATE)
    values = merge_job_variables(
        PREFECT_PROCESS_TEMPLATE, {"env": {"A": "1"}}, {"command": "echo hi"}
    )
    job = (
        WorkerTypes()
        .hooks("process")
        .render(build_job_configuration(PREFECT_PROCESS_TEMPLATE, values), RUN)
    )
    assert isinstance(job, ProcessJob)
    assert (job.argv, job.env, job.name) == (["echo", "hi"], {"A": "1"}, "crimson-fox")
