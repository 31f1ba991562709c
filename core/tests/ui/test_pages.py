"""UI pages against a real server: relative links only, 404 pages, keyset pages, SSE resume."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import httpx
import pytest
from flowyard.server import tables as t
from flowyard.server.db import Database
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.ui import queries


def _runs(db: Database, count: int, when: dt.datetime) -> set[str]:
    """``count`` runs of one flow, all scheduled at the same instant (ties for the cursor)."""
    now = dt.datetime.now(dt.UTC)
    flow_id = str(uuid.uuid4())
    ids = {str(uuid.uuid4()) for _ in range(count)}
    with db.write() as conn:
        conn.execute(t.flow.insert().values(id=flow_id, name="f", created=now))
        conn.execute(
            t.flow_run.insert(),
            [
                {
                    "id": run_id,
                    "name": run_id[:8],
                    "flow_id": flow_id,
                    "parameters": {},
                    "job_variables": {},
                    "tags": [],
                    "labels": {},
                    "state_type": "SCHEDULED",
                    "state_name": "Scheduled",
                    "state_timestamp": now,
                    "scheduled_time": when,
                    "auto_scheduled": False,
                    "created": now,
                    "updated": now,
                }
                for run_id in ids
            ],
        )
    return ids


def test_keyset_pages_return_every_run_once_even_with_equal_times(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    expected = _runs(db, 23, when)
    seen: list[str] = []
    cursor = None
    with db.read() as conn:
        while True:
            rows, cursor = queries.run_page(conn, queries.RunFilter(before=cursor), limit=5)
            seen.extend(r.id for r in rows)
            if cursor is None:
                break
    db.dispose()
    assert sorted(seen) == sorted(expected)
    assert seen == sorted(seen, reverse=True)  # ties ordered by id, newest-first otherwise


PAGES = ["/pools", "/pools/new", "/pools/p", "/pools/p?tab=queues", "/pools/p/template", "/runs"]


@SQLITE_ONLY
def test_every_link_and_asset_is_relative(server: RunningServer, http: httpx.Client) -> None:
    http.post("/work_pools", json={"name": "p", "type": "process"})
    for page in PAGES:
        html = httpx.get(server.url + page, timeout=10).text
        absolute = re.findall(r'(?:href|src|action|hx-get|hx-post)="(/[^"]*|https?:[^"]*)"', html)
        assert absolute == [], (page, absolute)


@SQLITE_ONLY
@pytest.mark.parametrize("page", ["/pools/nope", "/runs/nope", "/deployments/nope"])
def test_a_missing_object_is_a_404_page(server: RunningServer, page: str) -> None:
    response = httpx.get(server.url + page, timeout=10)
    assert response.status_code == 404
    assert "not found" in response.text


def _first_logs_event(server: RunningServer, run_id: str, headers: dict[str, str]) -> Any:
    import json

    url = f"{server.url}/runs/{run_id}/logs/stream"
    with httpx.stream("GET", url, headers=headers, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "logs":
                return json.loads(line[6:])
    raise AssertionError("no logs event")


@SQLITE_ONLY
def test_the_log_stream_resumes_after_the_last_event_id(
    server: RunningServer, http: httpx.Client
) -> None:
    http.post("/work_pools", json={"name": "p", "type": "process"})
    dep = http.post("/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"})
    run = http.post(f"/deployments/{dep.json()['id']}/runs", json={}).json()
    lines = [{"flow_run_id": run["id"], "level": 20, "message": f"m{i}"} for i in range(5)]
    assert http.post("/logs", json=lines).status_code == 201
    everything = _first_logs_event(server, run["id"], {})
    assert [line["message"] for line in everything] == ["m0", "m1", "m2", "m3", "m4"]
    resumed = _first_logs_event(server, run["id"], {"Last-Event-ID": str(everything[2]["id"])})
    assert [line["message"] for line in resumed] == ["m3", "m4"]


@SQLITE_ONLY
def test_the_log_download_has_every_line_at_or_above_the_level(
    server: RunningServer, http: httpx.Client
) -> None:
    http.post("/work_pools", json={"name": "p", "type": "process"})
    dep = http.post("/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"})
    run = http.post(f"/deployments/{dep.json()['id']}/runs", json={}).json()
    lines = [
        {"flow_run_id": run["id"], "level": 10 if i % 2 else 40, "message": f"m{i}"}
        for i in range(6001)
    ]
    assert http.post("/logs", json=lines).status_code == 201
    url = f"{server.url}/runs/{run['id']}/logs/download"
    everything = httpx.get(url, timeout=30).text.splitlines()
    errors = httpx.get(url, params={"level": "ERROR"}, timeout=30).text.splitlines()
    assert len(everything) == 6001
    assert everything[-1].endswith("| m6000")
    assert len(errors) == 3001
    assert all(" ERROR " in line for line in errors)


@SQLITE_ONLY
def test_run_filters_live_in_the_url(server: RunningServer, http: httpx.Client) -> None:
    http.post("/work_pools", json={"name": "p", "type": "process"})
    dep = http.post("/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "p"})
    kept = http.post(f"/deployments/{dep.json()['id']}/runs", json={"name": "kept-run"}).json()
    gone = http.post(f"/deployments/{dep.json()['id']}/runs", json={"name": "gone-run"}).json()
    http.post(f"/flow_runs/{gone['id']}/cancel")
    cancelled = httpx.get(f"{server.url}/runs?state=CANCELLED", timeout=10).text
    scheduled = httpx.get(f"{server.url}/runs?state=SCHEDULED&pool=p", timeout=10).text
    other_pool = httpx.get(f"{server.url}/runs?pool=elsewhere", timeout=10).text
    assert "gone-run" in cancelled and "kept-run" not in cancelled
    assert "kept-run" in scheduled and "gone-run" not in scheduled
    assert "No flow runs match." in other_pool
    assert kept["id"] in scheduled
