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
``observe`` and ``kill`` in a worker thread (``anyio.to_thread``), so a hook may block on network
or subprocess I/O, but must be thread-safe with respect to other runs of the same worker.

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
    from flowyard.job import ExitStatus, FlowRunInfo, Submission

PROJECT = "flowyard"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def default_base_job_template() -> dict[str, Any]:  # type: ignore[empty-body]
    """Return this worker type's default base job template.

    Called by ``flowyard work-pool get-default-base-job-template --type X``, when a pool of this
    type is created without an explicit template, and by ``worker start --type X`` when it
    creates a missing pool. Must not touch the network or the infrastructure.

    :returns: ``{"job_configuration": {...}, "variables": <JSON Schema object>}``. Every
        ``{{ placeholder }}`` in ``job_configuration`` must be declared in
        ``variables.properties``; the core validates the result and reports a plugin error
        naming this type's distribution if it is not a valid template.
    """


@hookspec(firstresult=True)
def render(configuration: dict[str, Any], flow_run: FlowRunInfo) -> Any:
    """Turn a fully templated job configuration into this type's typed job spec.

    Called by the worker once per flow run, after the core has merged job variables (schema
    defaults < pool < deployment < flow run), applied them to the pool's ``job_configuration``,
    and added flowyard's environment (API URL and key, flow-run id, claim id) and labels.

    :param configuration: the rendered ``job_configuration`` (plain JSON data).
    :param flow_run: the flow run being prepared.
    :returns: a pydantic model (usually a subclass of
        :class:`flowyard.job.BaseJobConfiguration`). Raise ``pydantic.ValidationError`` or
        ``ValueError`` for a configuration the infrastructure cannot run; the run is marked
        CRASHED with that message.
    """


@hookspec(firstresult=True)
def submit(job: Any, flow_run: FlowRunInfo) -> Submission:  # type: ignore[empty-body]
    """Start the infrastructure for one flow run and return as soon as it exists.

    Called in a worker thread. Must not wait for the flow to finish (that is ``observe``'s job).

    :param job: the object ``render`` returned for this run.
    :param flow_run: the flow run being submitted.
    :returns: a :class:`flowyard.job.Submission` whose ``infrastructure_id`` lets ``kill`` find
        the infrastructure from any worker of this type. Raise to report a failed submission.
    """


@hookspec(firstresult=True)
def observe(job: Any, submission: Submission, flow_run: FlowRunInfo) -> ExitStatus | None:
    """Optional: block until the submitted infrastructure finishes and report its exit status.

    Called in a worker thread right after a successful ``submit``. The worker marks the run
    CRASHED when the status code is non-zero and the run has not reached a final state itself.
    Return ``None`` (or do not implement this hook) when the type cannot observe its jobs; the
    run's own engine then reports the final state alone.
    """


@hookspec(firstresult=True)
def kill(infrastructure_id: str, configuration: dict[str, Any], grace_seconds: float) -> None:
    """Stop the infrastructure of a cancelled or abandoned run.

    Called in a worker thread when a run the worker owns enters CANCELLING, and during crash
    clean-up. Ask politely first, wait up to ``grace_seconds``, then force.

    :param infrastructure_id: what ``submit`` returned in ``Submission.infrastructure_id``.
    :param configuration: the rendered job configuration of that run.
    :raises flowyard.errors.InfrastructureNotFound: the infrastructure is already gone.
    :raises flowyard.errors.InfrastructureNotAvailable: it exists but cannot be reached here.
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
    :param build_kwargs: extra arguments for the builder.
    :returns: the directory where the project lives inside the image (the deployment's ``path``).
    """
