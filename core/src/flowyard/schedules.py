"""Schedule arithmetic: the next run times of cron, interval and rrule schedules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
RRULE_SEARCH_SECONDS = 2.0
"""How long the search for an rrule's first occurrence may run (in a child process, killed after
it: dateutil searches an impossible rule up to year 9999, which takes tens of seconds of CPU)."""
_RRULE_PROBE = """
import datetime as dt, sys
from dateutil.rrule import rrulestr
rule = rrulestr(sys.argv[1], dtstart=dt.datetime.fromisoformat(sys.argv[2]))
sys.exit(0 if rule.after(dt.datetime.fromisoformat(sys.argv[3])) is not None else 3)
"""


def _rrule_has_occurrence(rule: str, start: dt.datetime, after: dt.datetime) -> bool:
    """Whether ``rule`` has an occurrence after ``after``, searched for at most a bounded time."""
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-c", _RRULE_PROBE, rule, start.isoformat(), after.isoformat()],
            timeout=RRULE_SEARCH_SECONDS,
            capture_output=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


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
        from croniter import CroniterError, croniter

        if not croniter.is_valid(schedule.cron):
            raise ValueError(f"cron {schedule.cron!r} is not a valid cron expression")
        try:  # croniter searches at most 50 years for a match
            croniter(schedule.cron, dt.datetime.now(dt.UTC)).get_next(dt.datetime)
        except (CroniterError, ValueError, OverflowError) as exc:
            raise ValueError(
                f"cron {schedule.cron!r} has no date in the next 50 years (e.g. 31 February)"
            ) from exc
    if schedule.rrule is not None:
        from dateutil.rrule import rrulestr

        start = (schedule.anchor_date or _EPOCH).astimezone(ZoneInfo(schedule.timezone))
        try:
            rrulestr(schedule.rrule, dtstart=start)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"rrule {schedule.rrule!r} is not valid: {exc}") from exc
        if not _rrule_has_occurrence(schedule.rrule, start, dt.datetime.now(dt.UTC)):
            raise ValueError(
                f"rrule {schedule.rrule!r} has no future occurrence found within "
                f"{RRULE_SEARCH_SECONDS:g} s of search"
            )


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
