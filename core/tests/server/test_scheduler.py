"""The scheduler service, running in real servers on SQLite and PostgreSQL.

Idempotency is checked the way it fails in production: a second server replica on the same
database runs its own scheduler loop at the same time, and the deployment is redeployed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from conftest import Api
from flowyard.settings import Settings
from flowyard.testing.plugin import RunningServer, free_port, start_server, stop_server


def scheduled_runs(api: Api, deployment_id: str) -> list[dict[str, Any]]:
    response = api.post(
        "/flow_runs/filter",
        json={"deployment_id": deployment_id, "state_types": ["SCHEDULED"], "limit": 1000},
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def wait_for_runs(api: Api, deployment_id: str, at_least: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        runs = scheduled_runs(api, deployment_id)
        if len(runs) >= at_least:
            return runs
        time.sleep(0.2)
    raise AssertionError(f"the scheduler created {len(runs)} runs, expected >= {at_least}")


def settle(seconds: float = 2.0) -> None:
    """Let a few service-loop ticks (0.5 s in tests) pass."""
    time.sleep(seconds)


def test_cron_in_a_time_zone(api: Api) -> None:
    api.pool()
    dep = api.deployment(schedules=[{"cron": "30 9 * * *", "timezone": "America/New_York"}])
    runs = wait_for_runs(api, dep["id"], 3)
    zone = ZoneInfo("America/New_York")
    times = sorted(dt.datetime.fromisoformat(r["scheduled_time"]) for r in runs)
    for when in times:
        local = when.astimezone(zone)
        assert (local.hour, local.minute) == (9, 30)
    assert times[0] > dt.datetime.now(dt.UTC)
    dates = [when.astimezone(zone).date() for when in times]
    assert all((b - a).days == 1 for a, b in itertools.pairwise(dates))
    assert all("auto-scheduled" in r["tags"] for r in runs)


def test_interval_fills_the_horizon_without_duplicates(
    api: Api, server: RunningServer, server_settings: Settings
) -> None:
    api.pool()
    schedule = {"interval": 300, "anchor_date": "2026-01-01T00:00:00Z"}
    dep = api.deployment(schedules=[schedule], parameters={"x": 1})
    runs = wait_for_runs(api, dep["id"], 12)  # one hour of 5-minute runs
    assert len(runs) <= 13
    for run in runs:
        assert dt.datetime.fromisoformat(run["scheduled_time"]).minute % 5 == 0
        assert run["parameters"] == {"x": 1}

    replica_settings = server_settings.model_copy(update={"server_port": free_port()})
    replica = start_server(replica_settings)
    try:
        for _ in range(3):  # redeploys with an unchanged schedule keep the runs
            api.deployment(schedules=[schedule], parameters={"x": 1})
        settle()
        again = scheduled_runs(api, dep["id"])
    finally:
        stop_server(replica)
    times = Counter(r["scheduled_time"] for r in again)
    assert times and max(times.values()) == 1, "a schedule time has more than one run"
    assert {r["id"] for r in runs} <= {r["id"] for r in again}


def test_a_short_interval_keeps_being_topped_up_past_its_existing_runs(api: Api) -> None:
    """Each tick re-proposes times that already have runs; those are skipped, new ones added."""
    api.pool()
    dep = api.deployment(schedules=[{"interval": 1}])
    first = max(r["scheduled_time"] for r in wait_for_runs(api, dep["id"], 50))
    deadline = time.monotonic() + 10
    while max(r["scheduled_time"] for r in scheduled_runs(api, dep["id"])) <= first:
        assert time.monotonic() < deadline, "the scheduler stopped adding runs"
        time.sleep(0.2)
    times = Counter(r["scheduled_time"] for r in scheduled_runs(api, dep["id"]))
    assert max(times.values()) == 1


def test_changing_a_schedule_replaces_its_future_runs(api: Api) -> None:
    api.pool()
    dep = api.deployment(schedules=[{"interval": 600, "slug": "every"}])
    wait_for_runs(api, dep["id"], 3)
    api.deployment(schedules=[{"interval": 900, "slug": "every"}])
    runs = wait_for_runs(api, dep["id"], 3)
    settle()
    runs = scheduled_runs(api, dep["id"])
    for run in runs:
        assert dt.datetime.fromisoformat(run["scheduled_time"]).minute % 15 == 0


def test_pausing_a_deployment_stops_new_runs(api: Api) -> None:
    api.pool()
    dep = api.deployment(schedules=[{"interval": 600}])
    wait_for_runs(api, dep["id"], 3)
    manual = api.run(dep["id"], name="manual")
    assert api.patch(f"/deployments/{dep['id']}", json={"paused": True}).status_code == 200
    settle()
    left = scheduled_runs(api, dep["id"])
    assert [r["id"] for r in left] == [manual["id"]]  # auto-scheduled runs removed, manual kept

    assert api.patch(f"/deployments/{dep['id']}", json={"paused": False}).status_code == 200
    assert len(wait_for_runs(api, dep["id"], 4)) >= 4


def test_rrule_schedule(api: Api) -> None:
    api.pool()
    dep = api.deployment(
        schedules=[{"rrule": "FREQ=HOURLY;BYMINUTE=7", "timezone": "Europe/Berlin"}]
    )
    runs = wait_for_runs(api, dep["id"], 3)
    for run in runs:
        assert dt.datetime.fromisoformat(run["scheduled_time"]).minute == 7


def test_bad_schedules_are_refused_with_the_field(api: Api) -> None:
    api.pool()
    for schedule, words in (
        ({"cron": "61 * * * *"}, "cron"),
        ({"interval": 60, "timezone": "Mars/Olympus"}, "timezone"),
        ({"cron": "* * * * *", "interval": 60}, "exactly one"),
        ({"interval": 0}, "interval"),
    ):
        response = api.post(
            "/deployments",
            json={"flow_name": "f", "name": "d", "work_pool_name": "pool", "schedules": [schedule]},
        )
        assert response.status_code == 422, response.text
        assert words in response.text
