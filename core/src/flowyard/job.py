"""Models passed across the plugin contract: what a worker type receives and returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


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


class BaseJobConfiguration(BaseModel):
    """Fields every worker type's rendered job has; types subclass it and add their own.

    Unknown keys in a rendered ``job_configuration`` are ignored (a Prefect template works unmodified).
    ``env`` values are coerced to strings; ``None`` is kept and means "unset this variable".
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


class Submission(BaseModel):
    """What ``submit`` returns: the handle the core stores and later passes to ``kill``.

    ``infrastructure_id`` must be enough on its own to find the infrastructure again, from any
    worker of the same type (a container id, ``namespace:job``, ``cluster::task-arn``, a PID).
    ``handle`` is an optional in-process object (e.g. a ``Popen``) the same worker may use to
    observe the run; it never leaves the process.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    infrastructure_id: str
    handle: Any = None
    details: dict[str, Any] = Field(default_factory=dict)


class ExitStatus(BaseModel):
    """What ``observe`` returns when the infrastructure has finished."""

    code: int
    reason: str | None = None
