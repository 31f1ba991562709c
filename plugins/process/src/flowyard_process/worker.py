"""Hook implementations for worker type ``process`` (registered as plugin ``worker:process``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowyard.hookspecs import hookimpl

from flowyard_process.template import default_template

if TYPE_CHECKING:
    from flowyard.job import FlowRunInfo

    from flowyard_process.job import ProcessJob


@hookimpl
def default_base_job_template() -> dict[str, Any]:
    """The process type's default template: command, env, labels, name, stream_output, working_dir."""
    return default_template()


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> ProcessJob:
    """Build a :class:`ProcessJob`; the name defaults to the flow run's name."""
    from flowyard_process.job import ProcessJob

    job = ProcessJob.model_validate(configuration)
    updates: dict[str, Any] = {"argv": job.command_argv()}
    if not job.name:
        updates["name"] = flow_run.name
    return job.model_copy(update=updates)
