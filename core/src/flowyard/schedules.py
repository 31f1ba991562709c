"""Schedule arithmetic: the next run times of cron, interval and rrule schedules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


class ScheduleLike(Protocol):
    """What the scheduler needs from a schedule."""

    cron: str | None
    interval: float | None
    rrule: str | None
    timezone: str
    anchor_date: dt.datetime | None


def check_schedule(schedule: ScheduleLike) -> None:
    """Raise ``ValueError`` naming the field when a schedule cannot produce dates."""
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone {schedule.timezone!r} is not a known IANA time zone") from exc
    if schedule.cron is not None:
        from croniter import croniter

        if not croniter.is_valid(schedule.cron):
            raise ValueError(f"cron {schedule.cron!r} is not a valid cron expression")
    if schedule.rrule is not None:
        from dateutil.rrule import rrulestr

        try:
            rrulestr(schedule.rrule, dtstart=_EPOCH)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"rrule {schedule.rrule!r} is not valid: {exc}") from exc


def upcoming(schedule: ScheduleLike, after: dt.datetime) -> Iterator[dt.datetime]:
    """Schedule dates strictly after ``after``, in UTC, ascending (an endless iterator)."""
    zone = ZoneInfo(schedule.timezone)
    if schedule.interval is not None:
        anchor = schedule.anchor_date or _EPOCH
        step = dt.timedelta(seconds=schedule.interval)
        count = int((after - anchor) / step) + 1 if after >= anchor else 0
        while True:
            yield anchor + count * step
            count += 1
    elif schedule.cron is not None:
        from croniter import croniter

        it = croniter(schedule.cron, after.astimezone(zone))
        while True:
            yield it.get_next(dt.datetime).astimezone(dt.UTC)
    else:
        from dateutil.rrule import rrulestr

        start = (schedule.anchor_date or _EPOCH).astimezone(zone)
        rule: Any = rrulestr(schedule.rrule or "", dtstart=start)
        current = after.astimezone(zone)
        while True:
            nxt = rule.after(current)
            if nxt is None:
                return
            yield nxt.astimezone(dt.UTC)
            current = nxt
