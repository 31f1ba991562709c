"""Shared field types and enums."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from flowyard import limits

_FORBIDDEN = re.compile(r"[/%&<>]")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _check_name(value: str) -> str:
    if not value.strip() or not value.strip("'\""):
        raise ValueError("must not be empty or blank")
    if _FORBIDDEN.search(value):
        raise ValueError("must not contain any of / % & < >")
    return value


Name = Annotated[str, StringConstraints(max_length=limits.NAME_LENGTH), AfterValidator(_check_name)]
"""A name of a pool, queue, worker, flow or deployment: not blank, no ``/ % & < >``."""


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(max_length=max_length)


# Strings of bodies, each bounded by its column (NUL and lone surrogates are refused by
# :class:`Model` for every string of a body).
Id = Annotated[str, _text(limits.ID_LENGTH)]
TypeName = Annotated[str, _text(limits.TYPE_LENGTH)]
Description = Annotated[str, _text(limits.DESCRIPTION_LENGTH)]
Message = Annotated[str, _text(limits.MESSAGE_LENGTH)]
StateName = Annotated[str, _text(limits.STATE_NAME_LENGTH)]
Entrypoint = Annotated[str, _text(limits.ENTRYPOINT_LENGTH)]
PathText = Annotated[str, _text(limits.PATH_LENGTH)]
InfrastructureId = Annotated[str, _text(limits.INFRASTRUCTURE_ID_LENGTH)]
IdempotencyKey = Annotated[str, _text(limits.IDEMPOTENCY_KEY_LENGTH)]
Tag = Annotated[str, _text(limits.TAG_LENGTH)]
LongName = Annotated[str, _text(limits.NAME_LENGTH)]
"""A free-form name (a run's, a logger's): bounded, may contain any character but NUL."""


def _to_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("is out of range once converted to UTC (years 1 to 9999)") from exc


UTCDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, converted to UTC. Naive datetimes are refused (not read as UTC):
an offset the client forgot would silently shift a schedule by hours."""

Seconds = Annotated[float, Field(gt=0, le=limits.SECONDS_MAX, allow_inf_nan=False)]
"""A positive, finite duration of at most one day."""

Count = Annotated[int, Field(ge=0, le=limits.COUNT_MAX)]
"""A concurrency or run limit."""


def check_json(value: object, where: str = "body") -> None:
    """Raise ``ValueError`` naming the path of the first value a column cannot hold.

    Refused: nesting deeper than ``JSON_DEPTH_MAX``, more than ``JSON_NODES_MAX`` values, a string
    or key with NUL or a lone surrogate (PostgreSQL and UTF-8 cannot store them), a non-finite
    float, an integer beyond a signed 64-bit one. Iterative, so no depth can exhaust the stack.
    """
    stack: list[tuple[str, object, int]] = [(where, value, 0)]
    nodes = 0
    while stack:
        path, item, depth = stack.pop()
        nodes += 1
        if nodes > limits.JSON_NODES_MAX:
            raise ValueError(f"{where}: more than {limits.JSON_NODES_MAX} values")
        if depth > limits.JSON_DEPTH_MAX:
            raise ValueError(f"{path}: nested deeper than {limits.JSON_DEPTH_MAX} levels")
        if isinstance(item, str):
            if _BAD_CHARACTER.search(item):
                raise ValueError(f"{path}: must not contain NUL or lone surrogate characters")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > limits.JSON_INT_MAX:
                raise ValueError(f"{path}: integer beyond 64 bits")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise ValueError(f"{path}: must be a finite number")
        elif isinstance(item, dict):
            for key, sub in item.items():
                name = str(key)
                if _BAD_CHARACTER.search(name):
                    raise ValueError(
                        f"{path}: keys must not contain NUL or lone surrogate characters"
                    )
                stack.append((f"{path}.{name[:50]}", sub, depth + 1))
        elif isinstance(item, list | tuple):
            for index, sub in enumerate(item):
                stack.append((f"{path}[{index}]", sub, depth + 1))


def _checked_json(value: dict[str, Any]) -> dict[str, Any]:
    check_json(value, "value")
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_checked_json)]
"""A JSON object within the document bounds of :func:`check_json`."""


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
    """Base for API bodies: unknown fields are errors, so typos are caught.

    Every body is checked whole by :func:`check_json` before its fields are (no NUL or lone
    surrogate in any string, bounded nesting and size, finite numbers); floats must be finite.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        check_json(data)
        return data


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
