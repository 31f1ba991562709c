"""The plugin contract: pluggy hook specifications for worker types and cross-cutting plugins.

How dispatch works
------------------
Each worker type is a module declared under the entry-point group ``flowyard.workers``; the
entry-point name *is* the type (``docker = "flowyard_docker.worker"``). The core registers that
module as a pluggy plugin named ``worker:<type>`` the first time the type is used, and calls its
hooks through ``PluginManager.subset_hook_caller`` so that **only that type's implementation
answers**. Plugins under ``flowyard.plugins`` are never excluded, so their ``hookwrapper``/
``wrapper`` implementations wrap every type's calls (audit, labels, policy). Worker-type authors
therefore write plain ``@hookimpl`` functions with no ``if worker_type == ...`` checks.

Threading
---------
All hooks are synchronous. The worker runtime is asynchronous and calls ``render``, ``submit``,
``observe``, ``reattach`` and ``kill`` in a worker thread (``anyio.to_thread``), so a hook may
block on network or subprocess I/O, but must be thread-safe with respect to other runs of the
same worker.

Required and optional hooks
---------------------------
A worker type must implement ``render`` and ``submit``, and its template through either
``variables_model`` (the core derives the template from the model) or
``default_base_job_template`` (hand-written; wins when both exist). ``observe``, ``kill``,
``reattach``, ``lookup`` and ``build_image`` are optional. The contract is checked when a type loads: a
missing required hook, or a hook whose name is not one of these (``sumbit``), is a
:class:`flowyard.errors.PluginError` naming the hook, the plugin and its distribution. Each hook's docstring starts with "Required"
or "Optional"; ``docs/plugin-hooks.md`` documents them all.

Errors
------
Any exception from ``render`` or ``submit`` marks that one flow run CRASHED with the error's
message; it never stops the worker. ``kill`` signals a vanished target with
:class:`flowyard.errors.InfrastructureNotFound`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from flowyard.job import (
        BaseJobConfiguration,
        BaseVariables,
        ExitStatus,
        FlowRunInfo,
        Submission,
    )

PROJECT = "flowyard"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

REQUIRED_HOOKS = ("render", "submit")
"""Hooks every worker type implements."""

TEMPLATE_HOOKS = ("default_base_job_template", "variables_model")
"""A worker type implements at least one of these (the first wins when both exist)."""


@hookspec(firstresult=True)
def variables_model() -> type[BaseVariables]:  # type: ignore[empty-body]
    """Required (or ``default_base_job_template``): this worker type's job variables model.

    Return a subclass of :class:`flowyard.job.BaseVariables` declaring every variable a pool,
    deployment or flow run may set (title, description, default, constraints). The core derives
    the type's default base job template from it with :func:`flowyard.job.base_job_template`:
    the model's JSON Schema becomes ``variables`` and its ``job_configuration()`` the
    ``job_configuration``. Called wherever the default template is needed (see
    ``default_base_job_template``); must not touch the network or the infrastructure.

    :returns: the variables model class (not an instance).
    """


@hookspec(firstresult=True)
def default_base_job_template() -> dict[str, Any]:  # type: ignore[empty-body]
    """Required (or ``variables_model``): this worker type's hand-written default base job template.

    Implement it only when the template cannot be derived from a variables model (a platform
    team's own template, a Prefect template kept unmodified); when a type implements both hooks,
    this one wins.

    Called by ``flowyard work-pool get-default-base-job-template --type X``, when a pool of this
    type is created without an explicit template, and by ``worker start --type X`` when it
    creates a missing pool. Must not touch the network or the infrastructure.

    :returns: ``{"job_configuration": {...}, "variables": <JSON Schema object>}``. Every
        ``{{ placeholder }}`` in ``job_configuration`` must be declared in
        ``variables.properties``; the core validates the result and reports a plugin error
        naming this type's distribution if it is not a valid template.
    """


@hookspec(firstresult=True)
def render(  # type: ignore[empty-body]
    configuration: dict[str, Any], flow_run: FlowRunInfo
) -> BaseJobConfiguration:
    """Required: turn a fully templated job configuration into this type's typed job.

    Called by the worker once per flow run, after the core has merged job variables (schema
    defaults < pool < deployment < flow run), applied them to the pool's ``job_configuration``,
    and added flowyard's environment (API URL and key, flow-run id, claim id) and labels.

    :param configuration: the rendered ``job_configuration`` (plain JSON data).
    :param flow_run: the flow run being prepared.
    :returns: an instance of this type's subclass of :class:`flowyard.job.BaseJobConfiguration`
        (the same object is later given to ``submit``, ``observe`` and ``kill``). Raise
        ``pydantic.ValidationError`` or ``ValueError`` for a configuration the infrastructure
        cannot run; the run is marked CRASHED with that message.
    """


@hookspec(firstresult=True)
def submit(  # type: ignore[empty-body]
    job: BaseJobConfiguration, flow_run: FlowRunInfo
) -> Submission[object]:
    """Required: start the infrastructure for one flow run and return as soon as it exists.

    Called in a worker thread. Must not wait for the flow to finish (that is ``observe``'s job).

    :param job: the object ``render`` returned for this run.
    :param flow_run: the flow run being submitted.
    :returns: a :class:`flowyard.job.Submission` whose ``infrastructure_id`` lets ``kill`` find
        the infrastructure from any worker of this type, and whose ``handle`` (a small frozen
        dataclass of the type's own) lets ``observe`` watch it in this process. Raise to report a
        failed submission.
    """


@hookspec(firstresult=True)
def observe(
    job: BaseJobConfiguration, submission: Submission[object], flow_run: FlowRunInfo
) -> ExitStatus | None:
    """Optional: block until the submitted infrastructure finishes and report its exit status.

    Called in a worker thread right after a successful ``submit``. The worker marks the run
    CRASHED when the status code is non-zero and the run has not reached a final state itself.
    Return ``None`` (or do not implement this hook) when the type cannot observe its jobs; the
    run's own engine then reports the final state alone.

    :param job: the object ``render`` returned for this run.
    :param submission: what ``submit`` returned for it (with its in-process ``handle``).
    :param flow_run: the flow run being observed.
    :returns: an :class:`flowyard.job.ExitStatus` (code, and a reason a person can act on;
        ``final_state`` when the type learned the final state the server accepted from the
        run's engine, so the worker need not read the run).
    """


@hookspec(firstresult=True)
def kill(infrastructure_id: str, job: BaseJobConfiguration, grace_seconds: float) -> None:
    """Optional: stop the infrastructure of a cancelled or abandoned run.

    Called in a worker thread when a run the worker owns enters CANCELLING, and during crash
    clean-up. Ask politely first, wait up to ``grace_seconds``, then force. A type without this
    hook cannot cancel running flow runs (the worker logs that and leaves the run CANCELLING).

    :param infrastructure_id: what ``submit`` returned in ``Submission.infrastructure_id``.
    :param job: the run's typed job, as ``render`` returned it (rendered again from the run's
        configuration when the worker no longer holds the original object).
    :param grace_seconds: how long to wait between the polite stop and the forced one.
    :raises flowyard.errors.InfrastructureNotFound: the infrastructure is already gone (or the id
        is not one of this type's).
    :raises flowyard.errors.InfrastructureNotAvailable: it exists but cannot be reached here.
    """


@hookspec(firstresult=True)
def reattach(
    infrastructure_id: str, job: BaseJobConfiguration, flow_run: FlowRunInfo
) -> Submission[object] | None:
    """Optional: find the infrastructure of a run submitted earlier, so a restarted worker observes it.

    Called in a worker thread when a worker starts, once for each run of its pool that a worker
    of the same name submitted and that is still PENDING, RUNNING or CANCELLING with an
    infrastructure id (the worker died or was restarted mid-run). The worker renders the job
    again exactly as at submission (pool template < deployment < flow run, same flowyard env),
    holds the run again (its lease is renewed as for a fresh claim) and, when this hook returns
    a submission, calls ``observe`` with it: the run is then watched to its end, crashed with
    the exit explained, or killed on cancellation, as if this worker had submitted it. A type
    without this hook leaves such runs alone (their engines report their final states).

    :param infrastructure_id: what ``submit`` returned in ``Submission.infrastructure_id``.
    :param job: the run's typed job, rendered again from its configuration.
    :param flow_run: the flow run being re-attached (with the claim id it was submitted under).
    :returns: a :class:`flowyard.job.Submission` with the same ``infrastructure_id`` and a
        ``handle`` that ``observe`` accepts, or None when this infrastructure cannot be watched
        from here (the run is then left alone).
    :raises flowyard.errors.InfrastructureNotFound: the infrastructure is gone; the run is
        CRASHED with this message unless it reached a final state meanwhile.
    """


@hookspec(firstresult=True)
def lookup(job: BaseJobConfiguration, flow_run: FlowRunInfo) -> Submission[object] | None:
    """Optional: find the infrastructure an earlier ``submit`` of this flow run created.

    A type implementing it names its infrastructure deterministically from the flow run (its id),
    so whoever submits can ask first and never start a run twice: the server's push service
    calls it before every ``submit`` (a replica that died mid-submit left the run's lease to
    expire; the replica claiming it again finds the infrastructure here and observes it instead
    of submitting again), and when it adopts runs of a type without ``reattach``. Implementing
    it is how a type **declares push support** (``work-pool create --type <type>:push``).

    :param job: the run's typed job, as ``render`` returned it.
    :param flow_run: the flow run about to be submitted.
    :returns: a :class:`flowyard.job.Submission` that ``observe`` and ``kill`` accept when live
        infrastructure of this run exists, else None (nothing was created, or it already ended).
    """


@hookspec(firstresult=True)
def build_image(  # type: ignore[empty-body]
    image: str,
    project_dir: str,
    dockerfile: str,
    base_image: str | None,
    push: bool,
    build_kwargs: dict[str, Any],
) -> str:
    """Optional: build (and with ``push``, push) a container image holding a deployment's project.

    Called by ``flow.deploy(image=...)`` on the client, before the deployment is registered, for the
    pool's type when it implements this hook (else for ``docker``). Build output should be shown as
    it happens; a failed build must raise with the build's error so the deploy stops.

    :param image: full reference to tag, e.g. ``registry.example.com/team/flows:1``.
    :param project_dir: the local directory to put in the image (the flow's project).
    :param dockerfile: ``"auto"`` to generate one (copy the project, install its
        ``requirements.txt`` and flowyard), or a Dockerfile path relative to ``project_dir``.
    :param base_image: base of the generated Dockerfile (None: the type's setting/default).
    :param push: push the image to its registry after building it.
    :param build_kwargs: extra arguments for the builder.
    :returns: the directory where the project lives inside the image (the deployment's ``path``).
    """
