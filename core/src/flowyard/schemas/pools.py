"""Work pool, work queue and worker models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from flowyard.schemas.common import Model, Name, PoolStatus, Response, WorkerStatus


class WorkPoolCreate(Model):
    """Body of ``POST /api/work_pools``. Without ``base_job_template`` the type's default is used."""

    name: Name = Field(max_length=200)
    type: str = Field(min_length=1, max_length=100)
    description: str = ""
    base_job_template: dict[str, Any] | None = None
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0)


class WorkPoolUpdate(Model):
    """Body of ``PATCH /api/work_pools/{name}``: only the fields sent are changed."""

    description: str | None = None
    base_job_template: dict[str, Any] | None = None
    is_paused: bool | None = None
    concurrency_limit: int | None = Field(default=None, ge=0)


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


class WorkQueueCreate(Model):
    """Body of ``POST /api/work_pools/{pool}/queues``; priority defaults to the first free one."""

    name: Name = Field(max_length=200)
    description: str = ""
    priority: int | None = Field(default=None, ge=1)
    concurrency_limit: int | None = Field(default=None, ge=0)
    is_paused: bool = False


class WorkQueueUpdate(Model):
    """Body of ``PATCH /api/work_pools/{pool}/queues/{name}``."""

    name: Name | None = Field(default=None, max_length=200)
    description: str | None = None
    priority: int | None = Field(default=None, ge=1)
    concurrency_limit: int | None = Field(default=None, ge=0)
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

    name: Name = Field(max_length=200)
    heartbeat_interval_seconds: float | None = Field(default=None, gt=0)
    worker_type: str | None = None
    run_limit: int | None = Field(default=None, ge=0)
    held_run_ids: list[str] = Field(
        default_factory=list, description="PENDING runs whose lease to renew"
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
