"""Hooks of the test-only ``echo`` worker type: it prints the job instead of running it."""

from __future__ import annotations

from typing import Any

from flowyard.hookspecs import hookimpl
from flowyard.job import BaseJobConfiguration, FlowRunInfo, Submission


@hookimpl
def default_base_job_template() -> dict[str, Any]:
    """One variable, ``message``."""
    return {
        "job_configuration": {"message": "{{ message }}", "env": "{{ env }}"},
        "variables": {
            "type": "object",
            "properties": {
                "message": {"type": "string", "default": "hello"},
                "env": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    }


class EchoJob(BaseJobConfiguration):
    """The rendered job: a message."""

    message: str = "hello"


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> EchoJob:
    """Validate the configuration."""
    return EchoJob.model_validate(configuration)


@hookimpl
def submit(job: EchoJob, flow_run: FlowRunInfo) -> Submission:
    """Print the message."""
    print(f"echo: {job.message} ({flow_run.name})", flush=True)
    return Submission(infrastructure_id=f"echo:{flow_run.id}")
