"""The services' typed rows match the selects they are built from.

``RunRow`` and ``ScheduleRow`` are built from a row's mapping without validation (the claim hot
path pays nothing for them), so a column added to a table without its field would fail at run
time; these checks fail first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flowyard.server import models as m
from flowyard.server.services import claim, loops, pools, runs


def test_a_run_row_has_exactly_the_columns_of_the_run_select_in_order() -> None:
    assert runs.RunRow._fields == tuple(runs._NAMES.selected_columns.keys())


def test_a_schedule_row_has_exactly_the_columns_of_the_schedule_select_in_order() -> None:
    assert loops.ScheduleRow._fields == tuple(loops._ACTIVE_SCHEDULES.selected_columns.keys())


def test_a_claims_queue_row_has_exactly_the_columns_of_the_queue_select_in_order() -> None:
    assert claim.QueueRow._fields == tuple(claim._QUEUES_DUE.selected_columns.keys())
    # the plain queue read is the same row without ``has_due`` (which then defaults to True)
    assert claim.QueueRow._fields[:-1] == tuple(claim._QUEUES.selected_columns.keys())
    assert claim.QueueRow._field_defaults == {"has_due": True}


def test_a_pool_head_has_exactly_the_columns_of_its_select_in_order() -> None:
    assert pools.PoolHead._fields == tuple(pools._POOL_HEAD_BY_NAME.selected_columns.keys())


def test_a_run_rows_stored_model_is_its_flow_run_row_without_the_relation_names() -> None:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    columns: dict[str, Any] = dict.fromkeys(runs.RunRow._fields)
    row = runs.RunRow(**{**columns, "id": "r1", "name": "run", "flow_name": "f", "created": now})

    stored = row.stored()

    assert isinstance(stored, m.FlowRun)
    assert (stored.id, stored.name, stored.created) == ("r1", "run", now)
    assert not hasattr(stored, "flow_name")
