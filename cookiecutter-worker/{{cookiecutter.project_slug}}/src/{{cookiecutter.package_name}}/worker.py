"""Hook implementations of worker type ``{{ cookiecutter.name }}`` (entry point in pyproject.toml).

flowyard calls these from the worker: ``variables_model`` for the template, then per flow run
``render`` -> ``submit`` -> ``observe``, and ``kill`` when a run is cancelled. Add the optional
``reattach(infrastructure_id, job, flow_run)`` when a job can be found again from its id alone:
a worker restarted mid-run then observes its runs to the end. The contract and each hook's
arguments are documented in ``flowyard.hookspecs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowyard.hookspecs import hookimpl
from flowyard.job import ExitStatus, FlowRunInfo, Submission

from .job import {{ cookiecutter.class_prefix }}Job as Job
from .variables import {{ cookiecutter.class_prefix }}Variables as Variables


@dataclass(frozen=True)
class Handle:
    """What ``observe`` needs to watch one submitted job from this worker process.

    TODO: hold your API client's job handle (or just the job id) here.
    """

    job_id: str


@hookimpl
def variables_model() -> type[Variables]:
    """The job variables model; flowyard derives the default base job template from it."""
    return Variables


@hookimpl
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> Job:
    """Validate the templated configuration into the job model; name it after the flow run."""
    job = Job.model_validate(configuration)
    return job if job.name else job.model_copy(update={"name": flow_run.name})


@hookimpl
def submit(job: Job, flow_run: FlowRunInfo) -> Submission[Handle]:
    """Start the job and return as soon as it exists (do not wait for the flow)."""
    raise NotImplementedError(
        "TODO: start the job on your infrastructure: run job.command_argv() (None means "
        "`python -m flowyard.engine`) with job.env set and job.labels attached, then return "
        "Submission(infrastructure_id=<an id any worker can find it by>, handle=<Handle>)."
    )


@hookimpl
def observe(job: Job, submission: Submission[Handle], flow_run: FlowRunInfo) -> ExitStatus:
    """Block until the job ends; report its exit code and, when it failed, why."""
    raise NotImplementedError(
        "TODO: wait for the job in submission.handle to end and return "
        "ExitStatus(code=<exit code>, reason=<a sentence a person can act on, or None>)."
    )


@hookimpl
def kill(infrastructure_id: str, job: Job, grace_seconds: float) -> None:
    """Stop a cancelled run's job: politely, then by force after ``grace_seconds``."""
    raise NotImplementedError(
        "TODO: stop the job named by infrastructure_id (ask, wait grace_seconds, force); raise "
        "flowyard.errors.InfrastructureNotFound when no such job exists."
    )
