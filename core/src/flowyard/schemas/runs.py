"""Flow, deployment, flow-run, state, claim and log models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from flowyard import limits
from flowyard.schemas.common import (
    Description,
    Entrypoint,
    Id,
    IdempotencyKey,
    InfrastructureId,
    JsonObject,
    LongName,
    Message,
    Model,
    Name,
    PathText,
    Response,
    Seconds,
    StateName,
    StateType,
    Tag,
    UTCDateTime,
)

Tags = Annotated[list[Tag], Field(max_length=limits.LIST_MAX)]
Ids = Annotated[list[Id], Field(max_length=limits.LIST_MAX)]


class FlowCreate(Model):
    """Body of ``POST /api/flows`` (idempotent by name)."""

    name: Name


class Flow(Response):
    """A flow."""

    id: str
    name: str
    created: dt.datetime


class Schedule(Model):
    """One schedule: exactly one of ``cron``, ``interval`` (seconds) or ``rrule``."""

    cron: Annotated[str, Field(max_length=200)] | None = None
    interval: (
        Annotated[
            float,
            Field(
                ge=limits.SCHEDULE_INTERVAL_MIN,
                le=limits.SCHEDULE_INTERVAL_MAX,
                description="seconds, from 1 to 10 years",
            ),
        ]
        | None
    ) = None
    rrule: Annotated[str, Field(max_length=2000)] | None = None
    timezone: Annotated[str, Field(max_length=100)] = "UTC"
    anchor_date: UTCDateTime | None = None
    active: bool = True
    slug: Annotated[str, Field(max_length=limits.NAME_LENGTH)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self, info: ValidationInfo) -> Schedule:
        kinds = [k for k in ("cron", "interval", "rrule") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a schedule needs exactly one of 'cron', 'interval' or 'rrule'")
        if not (info.context or {}).get("stored"):  # stored ones were checked when created
            from flowyard.schedules import check_schedule

            check_schedule(self)
        return self


class DeploymentCreate(Model):
    """Body of ``POST /api/deployments`` (upsert by flow name + deployment name)."""

    flow_name: Name
    name: Name
    work_pool_name: Name | None = None
    work_queue_name: Name | None = None
    entrypoint: Entrypoint | None = None
    path: PathText | None = None
    parameters: JsonObject = Field(default_factory=dict)
    parameter_schema: JsonObject | None = Field(
        default=None,
        description="JSON Schema of the flow's parameters; runs' parameters are checked against it",
    )
    job_variables: JsonObject = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    description: Description = ""
    paused: bool = False
    schedules: list[Schedule] = Field(default_factory=list, max_length=100)


class DeploymentUpdate(Model):
    """Body of ``PATCH /api/deployments/{id}``."""

    paused: bool | None = None
    parameters: JsonObject | None = None
    job_variables: JsonObject | None = None
    description: Description | None = None


class Deployment(Response):
    """A deployment."""

    id: str
    name: str
    flow_id: str
    flow_name: str
    work_pool_name: str | None
    work_queue_name: str | None
    entrypoint: str | None
    path: str | None
    parameters: dict[str, Any]
    parameter_schema: dict[str, Any] | None = None
    job_variables: dict[str, Any]
    tags: list[str]
    description: str
    paused: bool
    schedules: list[dict[str, Any]]
    schedule_error: str | None = Field(
        default=None, description="the scheduler's last failure for this deployment, if any"
    )
    created: dt.datetime
    updated: dt.datetime


class FlowRunCreate(Model):
    """Body of ``POST /api/deployments/{id}/runs``."""

    parameters: JsonObject = Field(default_factory=dict)
    job_variables: JsonObject = Field(default_factory=dict)
    scheduled_time: UTCDateTime | None = None
    work_queue_name: Name | None = None
    name: LongName | None = None
    tags: Tags = Field(default_factory=list)
    idempotency_key: IdempotencyKey | None = None


class LocalFlowRunCreate(Model):
    """Body of ``POST /api/flow_runs``: a run of a flow called directly (no deployment)."""

    flow_name: Name
    name: LongName | None = None
    parameters: JsonObject = Field(default_factory=dict)


class State(Response):
    """One entry of a flow run's state history."""

    type: StateType
    name: str
    message: str | None
    timestamp: dt.datetime


class FlowRun(Response):
    """A flow run."""

    id: str
    name: str
    flow_id: str
    flow_name: str
    deployment_id: str | None
    deployment_name: str | None
    work_pool_name: str | None
    work_queue_name: str | None
    parameters: dict[str, Any]
    job_variables: dict[str, Any]
    tags: list[str]
    labels: dict[str, Any]
    state_type: StateType
    state_name: str
    state_message: str | None
    scheduled_time: dt.datetime
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    infrastructure_id: str | None
    worker_name: str | None
    claim_id: str | None
    created: dt.datetime


class SetState(Model):
    """Body of ``POST /api/flow_runs/{id}/state``."""

    type: StateType
    name: StateName | None = None
    message: Message | None = None
    claim_id: Id | None = None
    force: bool = False
    infrastructure_id: InfrastructureId | None = Field(
        default=None,
        description="where the run runs, reported by its engine with RUNNING (recorded when "
        "accepted; the worker then does not PATCH it)",
    )


class SetStateResult(Response):
    """Outcome of a proposed transition. ``WAIT``: retry after ``delay_seconds``."""

    status: Literal["ACCEPT", "REJECT", "ABORT", "WAIT"]
    state_type: StateType
    state_name: str
    reason: str | None = None
    delay_seconds: float | None = None


class FlowRunUpdate(Model):
    """Body of ``PATCH /api/flow_runs/{id}``: what a worker reports."""

    infrastructure_id: InfrastructureId | None = None
    labels: JsonObject | None = None


class FlowRunFilter(Model):
    """Body of ``POST /api/flow_runs/filter``."""

    ids: Ids | None = None
    id_prefix: Id | None = Field(default=None, min_length=1, description="runs whose id starts so")
    name: LongName | None = Field(default=None, description="runs with exactly this name")
    deployment_id: Id | None = None
    work_pool_name: LongName | None = None
    worker_name: LongName | None = Field(
        default=None, description="runs whose current claim is held by the worker of this name"
    )
    state_types: list[StateType] | None = Field(default=None, max_length=20)
    limit: int = Field(default=200, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0, le=limits.OFFSET_MAX)


class ClaimRequest(Model):
    """Body of ``POST /api/work_pools/{pool}/claim``: one atomic claim, optionally long-polled."""

    worker_name: Name
    work_queue_names: list[LongName] = Field(
        default_factory=list, max_length=limits.LIST_MAX, description="empty: every queue"
    )
    limit: int = Field(default=10, ge=0, le=500)
    prefetch_seconds: float = Field(default=10.0, ge=0, le=limits.SECONDS_MAX)
    wait_seconds: float = Field(default=0.0, ge=0, le=limits.SECONDS_MAX)
    lease_seconds: Seconds | None = None
    held_run_ids: Ids = Field(default_factory=list, description="runs to renew and watch")
    dry_run: bool = Field(
        default=False,
        description="preview what would be claimed: no lock, no write, no lease renewal",
    )


class ServedClaimRequest(Model):
    """Body of ``POST /api/deployments/claim``: runs of served (pool-less) deployments."""

    worker_name: Name
    deployment_ids: Ids = Field(min_length=1)
    limit: int = Field(default=10, ge=0, le=500)
    wait_seconds: float = Field(default=0.0, ge=0, le=limits.SECONDS_MAX)
    lease_seconds: Seconds | None = None
    held_run_ids: Ids = Field(default_factory=list)


class ClaimedRun(Response):
    """A claimed run with what the worker needs to render and submit it."""

    flow_run: FlowRun
    claim_id: str
    lease_expires: dt.datetime
    deployment: Deployment | None
    base_job_template: dict[str, Any]
    run_token: str | None = Field(
        default=None,
        description="Bearer token scoped to this run; the run's FLOWYARD_API_KEY (not the worker's).",
    )


class ClaimResponse(Response):
    """Claimed runs (PENDING, leased) plus held runs that were asked to cancel."""

    runs: list[ClaimedRun]
    cancelling: list[str] = Field(default_factory=list)
    lost: list[str] = Field(default_factory=list, description="held runs no longer this worker's")


class LogCreate(Model):
    """One log line for ``POST /api/logs``."""

    flow_run_id: Id
    level: int = Field(default=20, ge=0, le=limits.LOG_LEVEL_MAX)
    name: LongName = ""
    message: Message
    timestamp: UTCDateTime | None = None


class Log(Response):
    """A stored log line."""

    flow_run_id: str
    level: int
    name: str
    message: str
    timestamp: dt.datetime


class LogLine(Log):
    """A stored log line as ``GET /api/flow_runs/{id}/logs`` returns it; ``id`` is for paging."""

    id: int


class LogsStored(Response):
    """Answer of ``POST /api/logs``."""

    stored: int


class FlowRunBulkCreate(Model):
    """Body of ``POST /api/deployments/{id}/runs/bulk``: up to 500 runs in one transaction."""

    runs: list[FlowRunCreate] = Field(min_length=1, max_length=limits.BULK_CREATE_MAX)


class FlowRunBulkCreated(Response):
    """The ids of the runs a bulk create made, in the order of the request."""

    ids: list[str]
