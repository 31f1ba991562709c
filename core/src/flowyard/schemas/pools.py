"""Work pool, work queue and worker models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field

from flowyard import limits
from flowyard.schemas.common import (
    Count,
    Description,
    Id,
    JsonObject,
    Model,
    Name,
    PoolStatus,
    Response,
    Seconds,
    TypeName,
    WorkerStatus,
)

Priority = Annotated[int, Field(ge=1, le=limits.COUNT_MAX)]


class WorkPoolCreate(Model):
    """Body of ``POST /api/work_pools``. Without ``base_job_template`` the type's default is used."""

    name: Name
    type: TypeName = Field(min_length=1)
    description: Description = ""
    base_job_template: JsonObject | None = None
    is_paused: bool = False
    concurrency_limit: Count | None = None


class WorkPoolUpdate(Model):
    """Body of ``PATCH /api/work_pools/{name}``: only the fields sent are changed."""

    description: Description | None = None
    base_job_template: JsonObject | None = None
    is_paused: bool | None = None
    concurrency_limit: Count | None = None


class PushStatus(Response):
    """How the server serves a push pool (``type`` ending in ``:push``); null on other pools."""

    worker_type: str = Field(description="The worker type whose hooks submit the runs.")
    installed: bool = Field(description="The type's package is installed on this server.")
    credentials: str = Field(
        description="'ambient' (no secret named by the template), 'resolved' (every secret it "
        "names exists) or 'missing'."
    )
    missing_secrets: list[str] = Field(
        default_factory=list, description="Secrets the template names that do not exist."
    )
    served_by: list[str] = Field(
        default_factory=list, description="Server replicas serving the pool now (push@<replica>)."
    )
    last_submit: dt.datetime | None = Field(
        default=None, description="When a replica last submitted one of its runs."
    )
    reason: str | None = Field(default=None, description="Why the pool is NOT_READY, if it is.")


class WorkPool(Response):
    """A work pool as the API returns it."""

    id: str
    name: str
    type: str
    description: str
    base_job_template: dict[str, Any]
    is_paused: bool
    concurrency_limit: int | None
    status: PoolStatus
    active_slots: int | None = None
    default_queue_id: str | None
    created: dt.datetime
    updated: dt.datetime
    push: PushStatus | None = Field(
        default=None, description="Push pools only: how the server serves the pool."
    )


class WorkQueueCreate(Model):
    """Body of ``POST /api/work_pools/{pool}/queues``; priority defaults to the first free one."""

    name: Name
    description: Description = ""
    priority: Priority | None = None
    concurrency_limit: Count | None = None
    is_paused: bool = False


class WorkQueueUpdate(Model):
    """Body of ``PATCH /api/work_pools/{pool}/queues/{name}``."""

    name: Name | None = None
    description: Description | None = None
    priority: Priority | None = None
    concurrency_limit: Count | None = None
    is_paused: bool | None = None


class WorkQueue(Response):
    """A work queue."""

    id: str
    pool_id: str
    pool_name: str
    name: str
    description: str
    priority: int
    concurrency_limit: int | None
    is_paused: bool
    status: PoolStatus
    last_polled: dt.datetime | None
    active_slots: int | None = None


class Heartbeat(Model):
    """Body of ``POST /api/work_pools/{pool}/workers/heartbeat``."""

    name: Name
    heartbeat_interval_seconds: Seconds | None = None
    worker_type: TypeName | None = None
    run_limit: Count | None = None
    held_run_ids: list[Id] = Field(
        default_factory=list,
        max_length=limits.LIST_MAX,
        description="PENDING runs whose lease to renew",
    )


class Worker(Response):
    """A worker; ``status`` is computed from ``last_heartbeat`` at read time."""

    id: str
    name: str
    pool_name: str
    worker_type: str | None
    last_heartbeat: dt.datetime
    heartbeat_interval_seconds: float | None
    run_limit: int | None
    status: WorkerStatus
