"""Models passed across the plugin contract: what a worker type declares, receives and returns.

A worker type declares its job variables once, as a :class:`BaseVariables` subclass; the core
derives the default base job template from it (:func:`base_job_template`). ``render`` returns a
:class:`BaseJobConfiguration` subclass, ``submit`` a :class:`Submission`, ``observe`` an
:class:`ExitStatus`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from flowyard.json_schema import clean_variables_schema
from flowyard.schemas.common import StateType


class FlowRunInfo(BaseModel):
    """What a worker type may know about the flow run it is rendering, submitting or killing."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    flow_id: str | None = None
    flow_name: str | None = None
    deployment_id: str | None = None
    deployment_name: str | None = None
    work_pool_name: str | None = None
    work_pool_id: str | None = None
    work_queue_name: str | None = None
    worker_name: str | None = None
    claim_id: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    api_url: str | None = None
    api_key: str | None = None
    engine_handoff: str | None = None
    """The run and its deployment as the engine takes them from ``FLOWYARD_ENGINE_HANDOFF``
    (:mod:`flowyard.engine.handoff`; None: too large or no deployment). A type that starts the
    engine on the worker's machine may put it in the run's environment, so the engine does not
    read them from the server; container types leave it out (their env is visible and bounded)."""


class BaseVariables(BaseModel):
    """A worker type's job variables: what a pool, a deployment or a flow run may set.

    Subclass it and add the type's own fields with ``Field(title=..., description=...,
    default=..., ge=..., le=...)``; an ``Enum``/``Literal`` becomes a JSON-Schema ``enum``. The
    core turns the model into the type's default base job template (:func:`base_job_template`):
    the JSON Schema of the model is the template's ``variables`` and
    :meth:`job_configuration` its ``job_configuration``.
    """

    name: str | None = Field(
        default=None,
        title="Name",
        description="Name given to the infrastructure; defaults to the flow run's name.",
    )
    env: dict[str, str | None] = Field(
        default_factory=dict,
        title="Environment Variables",
        description="Environment variables for the flow run; merged per key "
        "(pool < deployment < flow run). A null value unsets the variable.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        title="Labels",
        description="Labels for the flow run's infrastructure; merged per key.",
    )
    command: str | None = Field(
        default=None,
        title="Command",
        description="Command to run; defaults to the flowyard engine (`python -m flowyard.engine`).",
    )

    @classmethod
    def job_configuration(cls) -> dict[str, Any]:
        """The job configuration shape, with ``{{ placeholders }}`` where the variables go.

        The default passes every variable through under its own name
        (``{"image": "{{ image }}", ...}``). A type whose job is a manifest (a Kubernetes Job, an
        ECS task definition) overrides this and returns the manifest with placeholders in it.
        """
        return {
            (info.alias or name): "{{ " + (info.alias or name) + " }}"
            for name, info in cls.model_fields.items()
        }


def base_job_template(variables: type[BaseVariables]) -> dict[str, Any]:
    """The default base job template of a type whose variables are ``variables``.

    :returns: ``{"job_configuration": variables.job_configuration(), "variables": <JSON Schema>}``
        where the schema is pydantic's, cleaned so that flowyard's validator and a Prefect-style UI
        read it: no model title, enum references inlined, every property titled.
    """
    if not (isinstance(variables, type) and issubclass(variables, BaseVariables)):
        raise TypeError(
            f"base_job_template() needs a subclass of flowyard.job.BaseVariables, not {variables!r}"
        )
    titles = {
        (info.alias or name): info.title or name.replace("_", " ").title()
        for name, info in variables.model_fields.items()
    }
    return {
        "job_configuration": variables.job_configuration(),
        "variables": clean_variables_schema(variables.model_json_schema(), titles),
    }


class BaseJobConfiguration(BaseModel):
    """Fields every worker type's rendered job has; types subclass it and add their own.

    Unknown keys in a rendered ``job_configuration`` are ignored (a Prefect template works
    unmodified). ``env`` values are coerced to strings; ``None`` is kept and means "unset this
    variable". ``labels`` values are coerced to strings; ``None`` drops the label.
    """

    model_config = ConfigDict(extra="ignore")

    command: str | list[str] | None = None
    env: dict[str, str | None] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    name: str | None = None

    @field_validator("command", mode="before")
    @classmethod
    def _empty_command_is_none(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("env", mode="before")
    @classmethod
    def _coerce_env(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): (None if val is None else str(val)) for k, val in v.items()}
        return v

    @field_validator("labels", mode="before")
    @classmethod
    def _coerce_labels(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): str(val) for k, val in v.items() if val is not None}
        return v

    def command_argv(self) -> list[str] | None:
        """``command`` as an argument vector: a string is split like a POSIX shell would, a list
        is kept, and no command (``None`` or ``""``) is ``None`` (the type's default applies).

        :raises ValueError: the string cannot be split (an unclosed quote), naming ``command``.
        """
        if isinstance(self.command, list):
            return [str(a) for a in self.command] or None
        if not self.command:
            return None
        try:
            return shlex.split(self.command)
        except ValueError as exc:
            raise ValueError(f"command {self.command!r} cannot be split: {exc}") from None


HandleT = TypeVar("HandleT", covariant=True)


@dataclass(frozen=True)
class Submission(Generic[HandleT]):
    """What ``submit`` returns: how to find the infrastructure again, and how to observe it here.

    ``infrastructure_id`` must be enough on its own to find the infrastructure again, from any
    worker of the same type (a container id, ``namespace:job``, ``cluster::task-arn``, a PID).
    ``handle`` is an optional in-process object the same worker uses to observe the run (each type
    declares a small frozen dataclass for it, e.g. the ``Popen`` and its output threads); it never
    leaves the process. ``details`` are plain JSON facts worth showing (pid, container name).
    """

    infrastructure_id: str
    handle: HandleT | None = None
    details: dict[str, Any] = field(default_factory=dict)
    reported_by_engine: bool = False
    """The run's engine was given ``infrastructure_id`` and sends it with its RUNNING proposal,
    so the worker does not report it separately (it still does when the run ends without having
    reported it, e.g. it crashed before starting)."""

    def __post_init__(self) -> None:
        if not isinstance(self.infrastructure_id, str) or not self.infrastructure_id:
            raise ValueError(
                "Submission.infrastructure_id must be a non-empty string that finds the "
                f"infrastructure again, not {self.infrastructure_id!r}"
            )


class ExitStatus(BaseModel):
    """What ``observe`` returns when the infrastructure has finished."""

    code: int
    reason: str | None = None
    final_state: StateType | None = None
    """The final state the run's engine reported and the server accepted, when the type learns it
    (the ``process`` type does, through ``FLOWYARD_ENGINE_RESULT_FILE``): the worker then knows
    the run did not crash without reading it. None: unknown, the worker reads the run."""


__all__ = [
    "BaseJobConfiguration",
    "BaseVariables",
    "ExitStatus",
    "FlowRunInfo",
    "Submission",
    "base_job_template",
]
