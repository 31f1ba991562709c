"""Hook implementations for worker type ``process`` (registered as plugin ``worker:process``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowyard.hookspecs import hookimpl

if TYPE_CHECKING:
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

    from flowyard_process.job import ProcessJob
    from flowyard_process.launch import ProcessHandle
    from flowyard_process.variables import ProcessVariables


@hookimpl
def variables_model() -> type[ProcessVariables]:
    """Command, env, labels, name, stream_output, working_dir (the core derives the template)."""
    from flowyard_process.variables import ProcessVariables

    return ProcessVariables


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> ProcessJob:
    """Build a :class:`ProcessJob`; the name defaults to the flow run's name."""
    from flowyard_process.job import ProcessJob

    job = ProcessJob.model_validate(configuration)
    updates: dict[str, Any] = {"argv": job.command_argv() or job.default_command()}
    if not job.name:
        updates["name"] = flow_run.name
    return job.model_copy(update=updates)


@hookimpl
def submit(job: ProcessJob, flow_run: FlowRunInfo) -> Submission[ProcessHandle]:
    """Start the command in its own session (so ``kill`` can signal its whole process group)."""
    from flowyard_process.launch import launch

    return launch(job, flow_run)


@hookimpl
def observe(
    job: ProcessJob, submission: Submission[ProcessHandle], flow_run: FlowRunInfo
) -> ExitStatus:
    """Wait for the process, copying its output when ``stream_output``; explain its exit code."""
    from flowyard_process.launch import wait

    return wait(submission)


@hookimpl
def kill(infrastructure_id: str, job: ProcessJob, grace_seconds: float) -> None:
    """SIGTERM the process group, wait ``grace_seconds``, then SIGKILL what is left."""
    from flowyard_process.signals import terminate_group

    terminate_group(infrastructure_id, grace_seconds)
