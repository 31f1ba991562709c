"""What the scheduler creates for one schedule: pure decisions, no database.

A schedule is *stocked* when it has at least ``min_runs`` future SCHEDULED runs and the latest
reaches the horizon; then nothing is created. Otherwise the next dates are taken: at most
``max_runs``, and past the first ``min_runs`` only those before the horizon. Each run carries
the idempotency key ``scheduled <deployment id> <schedule slug> <ISO time>``, so replicas and
repeated ticks never create a date twice (:func:`flowyard.server.services.loops.schedule_runs`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flowyard.schemas.common import StateType


@dataclass(frozen=True)
class SchedulingLimits:
    """The scheduler's settings: how many runs, how far ahead."""

    min_runs: int
    max_runs: int
    horizon: dt.datetime
    """``now`` + the horizon setting."""


def idempotency_prefix(deployment_id: str, slug: str) -> str:
    """The part of the idempotency key shared by every run of one schedule."""
    return f"scheduled {deployment_id} {slug} "


def is_stocked(future_count: int, latest: dt.datetime | None, limits: SchedulingLimits) -> bool:
    """Whether a schedule's future runs are enough: ``min_runs`` of them, reaching the horizon."""
    return future_count >= limits.min_runs and latest is not None and latest >= limits.horizon


def run_times(dates: Iterable[dt.datetime], limits: SchedulingLimits) -> list[dt.datetime]:
    """The dates to create runs for, from a schedule's upcoming ``dates`` (ascending)."""
    chosen: list[dt.datetime] = []
    for count, when in enumerate(dates):
        if count >= limits.max_runs:
            break
        if count >= limits.min_runs and when >= limits.horizon:
            break
        chosen.append(when)
    return chosen


@dataclass(frozen=True)
class ScheduledDeployment:
    """What a scheduled run copies from its deployment."""

    deployment_id: str
    flow_id: str
    pool_id: str | None
    queue_id: str | None
    parameters: dict[str, Any]
    tags: list[str]


def scheduled_run(
    deployment: ScheduledDeployment,
    prefix: str,
    when: dt.datetime,
    now: dt.datetime,
    *,
    run_id: str,
    name: str,
) -> dict[str, Any]:
    """The ``flow_run`` row of one auto-scheduled run at ``when``."""
    return {
        "id": run_id,
        "name": name,
        "flow_id": deployment.flow_id,
        "deployment_id": deployment.deployment_id,
        "pool_id": deployment.pool_id,
        "queue_id": deployment.queue_id,
        "parameters": deployment.parameters,
        "job_variables": {},
        "tags": ["auto-scheduled", *deployment.tags],
        "labels": {},
        "state_type": StateType.SCHEDULED.value,
        "state_name": "Scheduled",
        "state_message": "Flow run scheduled",
        "state_timestamp": now,
        "scheduled_time": when,
        "idempotency_key": prefix + when.isoformat(),
        "auto_scheduled": True,
        "created": now,
        "updated": now,
    }
