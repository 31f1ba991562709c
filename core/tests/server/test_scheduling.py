"""The scheduler's decisions as pure functions (no server); test_scheduler.py runs the loop."""

from __future__ import annotations

import datetime as dt

import pytest
from flowyard.server.services.scheduling import (
    ScheduledDeployment,
    SchedulingLimits,
    idempotency_prefix,
    is_stocked,
    run_times,
    scheduled_run,
)

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LIMITS = SchedulingLimits(min_runs=3, max_runs=100, horizon=NOW + dt.timedelta(hours=1))


def every(seconds: float) -> list[dt.datetime]:
    return [NOW + dt.timedelta(seconds=seconds * i) for i in range(1, 1000)]


@pytest.mark.parametrize(
    ("count", "latest_in", "stocked"),
    [
        (3, 3600, True),
        (10, 7200, True),
        (2, 7200, False),  # too few
        (5, 3599, False),  # not far enough ahead
        (0, None, False),
    ],
)
def test_a_schedule_is_stocked_with_min_runs_reaching_the_horizon(
    count: int, latest_in: float | None, stocked: bool
) -> None:
    latest = None if latest_in is None else NOW + dt.timedelta(seconds=latest_in)
    assert is_stocked(count, latest, LIMITS) is stocked


def test_runs_fill_the_horizon() -> None:
    times = run_times(every(60), LIMITS)
    assert len(times) == 59  # one a minute, up to (not including) the horizon
    assert times[-1] < LIMITS.horizon


def test_at_least_min_runs_are_created_even_beyond_the_horizon() -> None:
    assert run_times(every(86_400), LIMITS) == every(86_400)[:3]


def test_never_more_than_max_runs() -> None:
    assert len(run_times(every(10), LIMITS)) == 100


def test_an_exhausted_schedule_creates_what_it_has() -> None:
    assert run_times(every(60)[:2], LIMITS) == every(60)[:2]


def test_a_scheduled_run_copies_its_deployment_and_carries_the_idempotency_key() -> None:
    deployment = ScheduledDeployment("dep", "flow", "pool", "queue", {"x": 1}, ["nightly"])
    prefix = idempotency_prefix("dep", "daily")
    when = NOW + dt.timedelta(hours=2)
    row = scheduled_run(deployment, prefix, when, NOW, run_id="r1", name="crimson-fox")
    assert row["idempotency_key"] == f"scheduled dep daily {when.isoformat()}"
    assert (row["id"], row["name"], row["scheduled_time"]) == ("r1", "crimson-fox", when)
    assert (row["flow_id"], row["deployment_id"], row["pool_id"], row["queue_id"]) == (
        "flow",
        "dep",
        "pool",
        "queue",
    )
    assert row["tags"] == ["auto-scheduled", "nightly"]
    assert (row["state_type"], row["state_name"], row["auto_scheduled"]) == (
        "SCHEDULED",
        "Scheduled",
        True,
    )
