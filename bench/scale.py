"""Scale: a server holding 100,000 scheduled runs across 10 pools and 100 queues.

Loads the database directly (pools, queues and deployments through the server's own services,
then the runs with one executemany INSERT per 5,000 rows), starts ``flowyard server start`` on it
as a subprocess (services on) and measures, over HTTP on loopback:

- the idle server's CPU over 20 s (its loops: late runs, lease expiry, running liveness,
  scheduler), with 10 interval schedules whose deployments already hold their runs;
- claim latency, p50 and p99, with 1 claimer and then 4 claimers on one pool (``limit`` 1 each,
  the way a worker with one free slot claims), and the server's CPU time per claim;
- the pool list, ``work-pool preview`` of a pool of 10,000 runs (the API answers a bounded
  page) and ``flow-run ls`` pages (20 runs; by pool; a page 5,000 runs deep), median of 20.

Each deployment has 1,000 runs: 100 due (the last hour, already marked Late) and 900 spread
over the next 7 days. Everything is one flow, the worst case for per-flow queries.
Run: `.venv/bin/python bench/scale.py [sqlite|postgres]` (postgres reads
FLOWYARD_TEST_DATABASE_URL; every flowyard table in it is dropped first).
Environment: RUNS (100000), CLAIMS (400 per phase), IDLE_SECONDS (20).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from flowyard.schemas.pools import WorkPoolCreate, WorkQueueCreate
from flowyard.schemas.runs import DeploymentCreate, Schedule
from flowyard.server import tables as t
from flowyard.server.db import Database
from flowyard.server.services import deployments, pools, scheduling
from flowyard.server.services.ids import new_id
from flowyard.testing.plugin import reset_postgres
from harness import cpu_seconds, host_speed, scratch_dir, serve_database

RUNS = int(os.environ.get("RUNS", "100000"))
CLAIMS = int(os.environ.get("CLAIMS", "400"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "20"))
POOLS, QUEUES_PER_POOL = 10, 10
CHUNK = 5000


def load(db: Database) -> None:
    """10 pools x 10 queues, one deployment per queue (the first of each pool scheduled), and
    RUNS runs spread evenly over the deployments."""
    now = dt.datetime.now(dt.UTC)
    per_deployment = RUNS // (POOLS * QUEUES_PER_POOL)
    targets: list[tuple[Any, str | None]] = []
    with db.write() as conn:
        for p in range(POOLS):
            pools.create_pool(conn, WorkPoolCreate(name=f"pool{p}", type="process"))
            for q in range(QUEUES_PER_POOL):
                queue = "default" if q == 0 else f"q{q}"
                if q:
                    pools.create_queue(conn, f"pool{p}", WorkQueueCreate(name=queue))
                schedules = [Schedule(interval=3600, slug="hourly")] if q == 0 else []
                dep_id = deployments.upsert_deployment(
                    conn,
                    DeploymentCreate(
                        flow_name="scale",
                        name=f"d{p}-{q}",
                        work_pool_name=f"pool{p}",
                        work_queue_name=queue,
                        schedules=schedules,
                    ),
                )
                row = deployments.get_deployment_row(conn, dep_id)
                targets.append((row, "hourly" if schedules else None))
    rows: list[dict[str, Any]] = []
    inserted = 0
    for row, slug in targets:
        deployment = scheduling.ScheduledDeployment(
            row.id, row.flow_id, row.pool_id, row.queue_id, {}, []
        )
        prefix = scheduling.idempotency_prefix(row.id, slug or "manual")
        for i in range(per_deployment):
            due = i < per_deployment // 10
            when = (
                now - dt.timedelta(seconds=3600 * (i + 1) / (per_deployment // 10) + 60)
                if due
                else now + dt.timedelta(days=7 * i / per_deployment)
            )
            run = scheduling.scheduled_run(
                deployment, prefix, when, now, run_id=new_id(), name=f"run-{inserted}"
            )
            if due:
                run["state_name"] = "Late"
            if slug is None:
                run["idempotency_key"] = None
                run["auto_scheduled"] = False
            rows.append(run)
            inserted += 1
            if len(rows) == CHUNK:
                insert(db, rows)
                rows = []
    insert(db, rows)


def insert(db: Database, rows: list[dict[str, Any]]) -> None:
    """One transaction: the runs and their first history entry (executemany)."""
    if not rows:
        return
    states = [
        {
            "flow_run_id": r["id"],
            "type": "SCHEDULED",
            "name": r["state_name"],
            "message": None,
            "timestamp": r["created"],
        }
        for r in rows
    ]
    with db.write() as conn:
        conn.execute(t.flow_run.insert(), rows)
        conn.execute(t.flow_run_state.insert(), states)


def timed(fn: Callable[[], httpx.Response], pid: int, times: int = 20) -> tuple[float, float, int]:
    """Median wall ms of ``times`` calls, the server's CPU ms per call, and the size of the last
    answer (items)."""
    seconds = []
    size = 0
    cpu = cpu_seconds(pid)
    for _ in range(times):
        started = time.perf_counter()
        response = fn()
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
        body = response.json()
        size = len(body) if isinstance(body, list) else 1
    cpu_ms = (cpu_seconds(pid) - cpu) / times * 1000
    return statistics.median(seconds) * 1000, cpu_ms, size


def claim_phase(api: str, claimers: int, pool: str) -> tuple[list[float], int]:
    """``claimers`` threads share CLAIMS claims of one run each; (latencies ms, 5xx count)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def claimer(i: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=api, timeout=60) as http:
            for _ in range(CLAIMS // claimers):
                started = time.perf_counter()
                response = http.post(
                    f"/work_pools/{pool}/claim", json={"worker_name": f"w{i}", "limit": 1}
                )
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += response.status_code >= 500
                assert response.json()["runs"], "the pool ran out of due runs"

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    print(host_speed(), flush=True)
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    home = scratch_dir("flowyard-scale-")
    if backend == "postgres":
        url = os.environ["FLOWYARD_TEST_DATABASE_URL"]
        reset_postgres(url)
    else:
        url = f"sqlite:///{home / 'scale.db'}"
    db = Database(url)
    db.migrate()
    started = time.perf_counter()
    load(db)
    with db.read() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(t.flow_run)).scalar()
    if backend == "postgres":
        # what autovacuum does within a minute of a bulk load; without statistics the planner
        # picked a 340 ms plan for the page 5,000 deep (12 ms with them)
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    db.dispose()
    print(f"{backend}: loaded {count} runs in {time.perf_counter() - started:.1f} s")

    server, api = serve_database(home, url)
    try:
        time.sleep(5)  # the loops' first ticks (the scheduler's first pass)
        before = cpu_seconds(server.pid)
        time.sleep(IDLE_SECONDS)
        idle = cpu_seconds(server.pid) - before
        load_avg = os.getloadavg()[0]
        print(
            f"{backend}: idle server CPU over {IDLE_SECONDS:g} s with {count} runs: {idle:.2f} s "
            f"(load {load_avg:.1f} on {os.cpu_count()} CPUs)"
        )

        with httpx.Client(base_url=api, timeout=60) as http:
            pages = {
                "GET /api/health (the round-trip floor at this load)": lambda: http.get("/health"),
                "pool list (10 pools)": lambda: http.get("/work_pools"),
                "work-pool preview pool0 (10,000 runs, all hours)": lambda: http.get(
                    "/work_pools/pool0/preview", params={"hours": 24 * 366}
                ),
                "flow-run ls (20 newest)": lambda: http.post(
                    "/flow_runs/filter", json={"limit": 20}
                ),
                "flow-run ls --pool pool3 (20)": lambda: http.post(
                    "/flow_runs/filter", json={"limit": 20, "work_pool_name": "pool3"}
                ),
                "flow-run ls, SCHEDULED, page 5,000 deep": lambda: http.post(
                    "/flow_runs/filter",
                    json={"limit": 20, "offset": 5000, "state_types": ["SCHEDULED"]},
                ),
            }
            for label, call in pages.items():
                median_ms, cpu_ms, size = timed(call, server.pid)
                print(
                    f"{backend}: {label}: median {median_ms:.1f} ms, server CPU {cpu_ms:.1f} ms "
                    f"per request ({size} items)"
                )

        for claimers, pool in ((1, "pool1"), (4, "pool2")):
            cpu_before = cpu_seconds(server.pid)
            wall = time.perf_counter()
            latencies, errors = claim_phase(api, claimers, pool)
            wall = time.perf_counter() - wall
            cpu = cpu_seconds(server.pid) - cpu_before
            print(
                f"{backend}: claims, {claimers} claimer(s) on one pool, {len(latencies)} claims "
                f"of 1 run: p50 {percentile(latencies, 0.5):.1f} ms, p99 "
                f"{percentile(latencies, 0.99):.1f} ms; server CPU {cpu / len(latencies) * 1000:.1f} "
                f"ms per claim; {len(latencies) / wall:.0f} claims/s; {errors} server errors "
                f"(load {os.getloadavg()[0]:.1f})"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
