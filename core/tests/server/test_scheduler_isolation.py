"""One bad stored schedule never stops the scheduler for other deployments; its failure shows."""

from __future__ import annotations

import time

import sqlalchemy as sa
from conftest import Api
from flowyard.server import tables as t
from flowyard.testing.plugin import RunningServer
from test_scheduler import wait_for_runs


def _store_bad_schedule(server: RunningServer, deployment_id: str) -> None:
    """A schedule the API now refuses, as a row written before the checks existed (activated
    only now, so the scheduler cannot have stocked its runs from the good schedule first)."""
    engine = sa.create_engine(server.settings.resolved_database_url())
    with engine.begin() as conn:
        conn.execute(
            t.deployment_schedule.update()
            .where(t.deployment_schedule.c.deployment_id == deployment_id)
            .values(
                schedule={"cron": None, "interval": 1e-9, "rrule": None, "timezone": "UTC"},
                active=True,
            )
        )
    engine.dispose()


def test_a_bad_schedule_is_recorded_on_its_deployment_and_others_keep_getting_runs(
    api: Api, server: RunningServer
) -> None:
    api.pool()
    bad = api.deployment(name="bad", schedules=[{"interval": 3600, "active": False}])
    _store_bad_schedule(server, bad["id"])
    good = api.deployment(name="good", schedules=[{"interval": 600}])
    assert len(wait_for_runs(api, good["id"], 3)) >= 3
    deadline = time.monotonic() + 20
    error = None
    while time.monotonic() < deadline and not error:
        error = api.get(f"/deployments/{bad['id']}").json()["schedule_error"]
        time.sleep(0.3)
    assert error and "interval" in error
