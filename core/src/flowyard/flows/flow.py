"""``@flow``: a function flowyard can run locally, deploy to a work pool, or serve."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

if TYPE_CHECKING:
    from flowyard.flows.image import DeploymentImage

P = ParamSpec("P")
R = TypeVar("R")
_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Flow(Generic[P, R]):
    """A flow: call it to run it now; ``deploy`` it to a pool; ``serve`` it from this process."""

    def __init__(
        self,
        fn: Callable[P, R],
        name: str | None = None,
        log_prints: bool = False,
        description: str | None = None,
    ) -> None:
        self.fn = fn
        self.name = name or _NAME.sub("-", fn.__name__.replace("_", "-")).strip("-")
        self.log_prints = log_prints
        self.description = description or (fn.__doc__ or "").strip()
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the flow now in this process.

        The run is recorded on the server (state, logs) when one answers at ``FLOWYARD_API_URL``;
        otherwise it runs untracked. Exceptions from the flow propagate to the caller. A flow
        called from inside another flow runs as a plain function call.
        """
        from flowyard.flows.context import current_run_id

        if current_run_id.get() is not None:
            return self.fn(*args, **kwargs)
        from flowyard.flows.local import run_locally

        return run_locally(self, args, kwargs)  # type: ignore[no-any-return]

    def deploy(
        self,
        name: str,
        work_pool_name: str,
        *,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        parameters: dict[str, Any] | None = None,
        cron: str | None = None,
        interval: float | None = None,
        rrule: str | None = None,
        timezone: str = "UTC",
        tags: list[str] | None = None,
        description: str | None = None,
        paused: bool = False,
        entrypoint: str | None = None,
        path: str | None = None,
        image: str | DeploymentImage | None = None,
        build: bool = True,
        push: bool = False,
    ) -> str:
        """Create or update deployment ``<flow>/<name>`` on ``work_pool_name``; returns its id.

        With ``image`` (``"name:tag"`` or a :class:`DeploymentImage`) the project directory is built
        into that image first (``build=False`` uses an existing one; ``push=True`` pushes it), the
        image becomes the ``image`` job variable unless one is given, and the deployment's path is
        the project's directory inside the image. A failed build stops the deploy.

        The entrypoint defaults to this function's file (relative to the current directory when
        inside it) so a worker on this machine, or one with the same checkout, can load it.
        ``job_variables`` are validated by the server against the pool's schema; one of ``cron``,
        ``interval`` (seconds) or ``rrule`` adds a schedule in ``timezone``.
        """
        from flowyard.flows.deploy import deploy

        return deploy(
            self,
            name=name,
            work_pool_name=work_pool_name,
            work_queue_name=work_queue_name,
            job_variables=job_variables or {},
            parameters=parameters or {},
            schedule={"cron": cron, "interval": interval, "rrule": rrule, "timezone": timezone},
            tags=tags or [],
            description=description,
            paused=paused,
            entrypoint=entrypoint,
            path=path,
            image=image,
            build=build,
            push=push,
        )

    def serve(
        self,
        name: str,
        *,
        parameters: dict[str, Any] | None = None,
        cron: str | None = None,
        interval: float | None = None,
        rrule: str | None = None,
        timezone: str = "UTC",
        limit: int | None = None,
        run_once: bool = False,
    ) -> None:
        """Deploy this flow without a work pool and execute its runs from this process until stopped.

        Scheduled and manually triggered runs (``flowyard deployment run``) start within a second,
        each in its own subprocess (so cancelling a run kills it). Ctrl-C stops serving.
        """
        from flowyard.flows.serve import serve

        serve(
            self,
            name=name,
            parameters=parameters or {},
            schedule={"cron": cron, "interval": interval, "rrule": rrule, "timezone": timezone},
            limit=limit,
            run_once=run_once,
        )


@overload
def flow(fn: Callable[P, R], /) -> Flow[P, R]: ...


@overload
def flow(
    *, name: str | None = None, log_prints: bool = False, description: str | None = None
) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    log_prints: bool = False,
    description: str | None = None,
) -> Flow[P, R] | Callable[[Callable[P, R]], Flow[P, R]]:
    """Make a function a flow: ``@flow`` or ``@flow(name="etl", log_prints=True)``.

    ``log_prints=True`` sends ``print`` output to the run's logs (it is still printed too).
    """
    if fn is not None:
        return Flow(fn)

    def decorate(f: Callable[P, R]) -> Flow[P, R]:
        return Flow(f, name=name, log_prints=log_prints, description=description)

    return decorate


def schedule_list(schedule: dict[str, Any]) -> list[dict[str, Any]]:
    """``[]`` or one schedule dict from the ``cron``/``interval``/``rrule`` keyword arguments."""
    kinds = {k: schedule[k] for k in ("cron", "interval", "rrule") if schedule.get(k) is not None}
    if len(kinds) > 1:
        raise ValueError(f"give at most one of cron, interval, rrule (got {', '.join(kinds)})")
    if not kinds:
        return []
    return [{**kinds, "timezone": schedule.get("timezone") or "UTC"}]


__all__ = ["Flow", "flow", "schedule_list"]
