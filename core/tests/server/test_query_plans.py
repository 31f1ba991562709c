"""The hot queries on flow_run use an index, on both databases: the service loops (late runs,
lease expiry, running liveness, the scheduler), the claim, ``work-pool preview`` and the paginated
``flow-run ls``.

The statements are the ones the code really sends (captured from the engine while the loops
run and a worker claims), explained with their parameters: ``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN`` with sequential scans disabled on PostgreSQL (on a near-empty table the planner
would rightly prefer a scan; disabling it asks whether an index *can* serve the query). A query
that can only scan flow_run costs in proportion to the table, not to what changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from conftest import Api
from flowyard.server.services import loops
from flowyard.server.services.context import ServerContext
from flowyard.testing.plugin import RunningServer
from sqlalchemy import event


def server_context(server: RunningServer) -> ServerContext:
    ctx: ServerContext = server.handle[0].config.app.state.ctx
    return ctx


def capture_flow_run_selects(engine: sa.Engine, action: Any) -> list[tuple[str, Any]]:
    """The SELECTs reading flow_run that ``action()`` sends, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        text = " ".join(statement.split())
        if text.upper().startswith("SELECT") and " flow_run" in text and "FROM flow_run" in text:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def plan(engine: sa.Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            conn.exec_driver_sql("RESET enable_seqscan")
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


def scans_flow_run(text: str) -> bool:
    """Does the plan read flow_run without an index?"""
    for line in text.splitlines():
        if "flow_run " in line + " " and "flow_run_state" not in line:
            if line.strip().startswith("SCAN") and "INDEX" not in line:
                return True
            if "Seq Scan on flow_run " in line + " ":
                return True
    return False


def uses_index(engine: sa.Engine, statement: str, parameters: Any, index: str) -> bool:
    """On SQLite (plans name the index): does the statement's plan use ``index``?"""
    return engine.dialect.name != "sqlite" or index in plan(engine, statement, parameters)


def matching(captured: list[tuple[str, Any]], *fragments: str) -> list[tuple[str, Any]]:
    found = [(s, p) for s, p in captured if all(f in " ".join(s.split()) for f in fragments)]
    assert found, f"no captured statement contains {fragments}"
    return found


def seed(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    api.post(f"/deployments/{dep['id']}/runs/bulk", json={"runs": [{"scheduled_time": past}] * 5})


def test_the_late_runs_and_lease_loops_read_flow_run_through_an_index(
    api: Api, server: RunningServer
) -> None:
    seed(api)
    ctx = server_context(server)
    captured = capture_flow_run_selects(
        ctx.db.engine, lambda: (loops.mark_late_runs(ctx), loops.expire_leases(ctx))
    )
    assert len(captured) >= 2
    for statement, parameters in captured:
        text = plan(ctx.db.engine, statement, parameters)
        assert not scans_flow_run(text), f"{statement}\n--> {text}"
    # runs already marked Late are not read again on every pass
    for statement, parameters in matching(captured, "flow_run.state_name ="):
        assert uses_index(ctx.db.engine, statement, parameters, "ix_flow_run_late")


def test_the_claim_reads_flow_run_through_an_index(api: Api, server: RunningServer) -> None:
    seed(api)
    ctx = server_context(server)
    captured = capture_flow_run_selects(
        ctx.db.engine,
        lambda: api.post("/work_pools/pool/claim", json={"worker_name": "w", "limit": 2}),
    )
    assert captured
    for statement, parameters in captured:
        text = plan(ctx.db.engine, statement, parameters)
        assert not scans_flow_run(text), f"{statement}\n--> {text}"
    # a queue's candidates are read from that queue only, not from every pool's due runs
    for statement, parameters in matching(captured, "flow_run.queue_id = ", "ORDER BY"):
        assert uses_index(ctx.db.engine, statement, parameters, "ix_flow_run_queue_claimable")


def test_the_scheduler_counts_a_schedules_runs_through_its_deployment(
    api: Api, server: RunningServer
) -> None:
    api.pool()
    api.deployment(schedules=[{"interval": 3600, "slug": "hourly"}])
    ctx = server_context(server)
    loops.schedule_runs(ctx)  # the first pass creates the runs; the next one only counts them
    captured = capture_flow_run_selects(ctx.db.engine, lambda: loops.schedule_runs(ctx))
    assert captured
    for statement, parameters in captured:
        text = plan(ctx.db.engine, statement, parameters)
        assert not scans_flow_run(text), f"{statement}\n--> {text}"
    # only this deployment's future runs are read, not every future run of every deployment
    for statement, parameters in matching(captured, "flow_run.deployment_id = ", "count("):
        assert uses_index(ctx.db.engine, statement, parameters, "ix_flow_run_deployment_due")


def test_the_pool_preview_reads_a_bounded_page_through_an_index(
    api: Api, server: RunningServer
) -> None:
    seed(api)
    ctx = server_context(server)
    captured = capture_flow_run_selects(
        ctx.db.engine,
        lambda: api.get("/work_pools/pool/preview", params={"hours": 24, "limit": 3}),
    )
    statements = matching(captured, "flow_run.pool_id = ", "LIMIT")
    for statement, parameters in statements:
        text = plan(ctx.db.engine, statement, parameters)
        assert not scans_flow_run(text), f"{statement}\n--> {text}"


def test_a_pool_preview_answers_at_most_limit_runs_the_earliest_first(api: Api) -> None:
    seed(api)
    response = api.get("/work_pools/pool/preview", params={"hours": 24, "limit": 3})
    assert response.status_code == 200, response.text
    times = [run["scheduled_time"] for run in response.json()]
    assert len(times) == 3
    assert times == sorted(times)


def test_the_flow_run_list_pages_read_flow_run_through_an_index(
    api: Api, server: RunningServer
) -> None:
    seed(api)
    ctx = server_context(server)
    bodies: list[dict[str, Any]] = [
        {"limit": 20},
        {"limit": 20, "work_pool_name": "pool"},
        {"limit": 20, "offset": 2, "state_types": ["SCHEDULED"]},
    ]
    captured = capture_flow_run_selects(
        ctx.db.engine, lambda: [api.post("/flow_runs/filter", json=body) for body in bodies]
    )
    # the pages' selects (with the run's relation names); the service loops run meanwhile
    captured = [(statement, p) for statement, p in captured if "AS flow_name" in statement]
    assert len(captured) == len(bodies)
    for statement, parameters in captured:
        text = plan(ctx.db.engine, statement, parameters)
        assert not scans_flow_run(text), f"{statement}\n--> {text}"
