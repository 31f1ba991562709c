"""Shared field types and enums."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

_FORBIDDEN = re.compile(r"[/%&<>]")


def _check_name(value: str) -> str:
    if not value.strip() or not value.strip("'\""):
        raise ValueError("must not be empty or blank")
    if _FORBIDDEN.search(value):
        raise ValueError("must not contain any of / % & < >")
    return value


Name = Annotated[str, AfterValidator(_check_name)]


class StateType(StrEnum):
    """Flow-run state types. SCHEDULED runs may be named ``Late``."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"


TERMINAL_STATES = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
)
ACTIVE_STATES = frozenset({StateType.PENDING, StateType.RUNNING})


class PoolStatus(StrEnum):
    """Work pool status: READY needs an ONLINE worker and no pause."""

    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class WorkerStatus(StrEnum):
    """Worker liveness, computed from the last heartbeat at read time."""

    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


class Model(BaseModel):
    """Base for API bodies: unknown fields are errors, so typos are caught."""

    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    """Base for API responses. Validators are built on first use (``defer_build``): a flow run's
    engine imports every answer model with the client but reads three, and its start-up is in
    every run's dispatch time."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Health(Response):
    """Answer of ``GET /api/health``."""

    status: str
    version: str
