"""Stored JSON made safe to read back: nothing stored can make a read endpoint answer 500.

The API refuses documents beyond the bounds of :func:`flowyard.schemas.common.check_json`, but
a row written another way (an older version, a hand edit, a restore) may hold one. Read
endpoints show such a value as ``{"__unreadable__": "<the reason>"}`` instead of failing; the
claim path reads values as stored and sets such a run aside (:mod:`.claimed`), so a worker is
never handed the placeholder as if it were the run's data.
"""

from __future__ import annotations

from typing import Any

from flowyard.schemas.common import check_json

UNREADABLE = "__unreadable__"
"""The key of the placeholder that stands for a stored value beyond the bounds."""


def readable_object(value: Any, field: str) -> dict[str, Any]:
    """``value`` when it is a JSON object within the bounds, else the placeholder naming why."""
    if not isinstance(value, dict):
        return {UNREADABLE: f"{field}: stored value is not a JSON object"}
    try:
        check_json(value, field)
    except ValueError as exc:
        return {UNREADABLE: str(exc)}
    return value
