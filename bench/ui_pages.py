"""Web UI: response time of every page on a busy database, and log line -> browser latency.

Seeds a SQLite database (default 10,000 runs, 1,000 deployments, 5 pools, 2,000 log lines on
one run) directly, starts `flowyard server start` as a subprocess, then:
- times each page with httpx (median and max of 20 requests after a warm-up);
- opens a run page in headless chromium (Debian's, via Playwright), writes a log line through
  the REST API and measures the time until the line is in the page (browser clock vs ours: same
  machine), 10 times.

Usage: .venv/bin/python bench/ui_pages.py [--runs 10000] [--deployments 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from flowyard.testing.plugin import free_port
from harness import scratch_dir

CLI = [sys.executable, "-m", "flowyard.cli"]
# past runs are mostly finished; a few are running or still scheduled (one in 200 of each)
STATES = ["COMPLETED"] * 150 + ["FAILED"] * 30 + ["CANCELLED"] * 18 + ["RUNNING", "SCHEDULED"]


def seed(url: str, runs: int, deployments: int) -> dict[str, str]:
    """Fill the database; returns ids the pages need."""
    import sqlalchemy as sa
    from flowyard.server import tables as t
    from flowyard.server.db import Database
    from flowyard.worker_types import default_base_job_template

    db = Database(url)
    db.migrate()
    now = dt.datetime.now(dt.UTC)
    template = default_base_job_template("process")
    pools, queues = [], []
    with db.write() as conn:
        for i in range(5):
            pool_id, queue_id = str(uuid.uuid4()), str(uuid.uuid4())
            conn.execute(
                t.work_pool.insert().values(
                    id=pool_id,
                    name=f"pool-{i}",
                    type="process",
                    description="",
                    base_job_template=template,
                    is_paused=False,
                    concurrency_limit=10,
                    default_queue_id=None,
                    created=now,
                    updated=now,
                )
            )
            conn.execute(
                t.work_queue.insert().values(
                    id=queue_id,
                    pool_id=pool_id,
                    name="default",
                    description="",
                    priority=1,
                    is_paused=False,
                    created=now,
                )
            )
            conn.execute(
                t.work_pool.update()
                .where(t.work_pool.c.id == pool_id)
                .values(default_queue_id=queue_id)
            )
            pools.append(pool_id)
            queues.append(queue_id)
        flow_id = str(uuid.uuid4())
        conn.execute(t.flow.insert().values(id=flow_id, name="bench-flow", created=now))
        dep_rows = [
            {
                "id": str(uuid.uuid4()),
                "flow_id": flow_id,
                "name": f"dep-{i:04d}",
                "pool_id": pools[i % 5],
                "queue_id": queues[i % 5],
                "entrypoint": "flows.py:f",
                "path": "/tmp",
                "parameters": {"n": i},
                "job_variables": {},
                "tags": ["bench"],
                "description": "",
                "paused": False,
                "created": now,
                "updated": now,
            }
            for i in range(deployments)
        ]
        conn.execute(t.deployment.insert(), dep_rows)
        run_rows, state_rows = [], []
        for i in range(runs):
            state = STATES[i % len(STATES)]
            when = now - dt.timedelta(seconds=30 * i)
            run_id = str(uuid.uuid4())
            run_rows.append(
                {
                    "id": run_id,
                    "name": f"run-{i}",
                    "flow_id": flow_id,
                    "deployment_id": dep_rows[i % deployments]["id"],
                    "pool_id": pools[i % 5],
                    "queue_id": queues[i % 5],
                    "parameters": {},
                    "job_variables": {},
                    "tags": [],
                    "labels": {},
                    "state_type": state,
                    "state_name": state.title(),
                    "state_timestamp": when,
                    "scheduled_time": when,
                    "start_time": when,
                    "end_time": when + dt.timedelta(seconds=5),
                    "auto_scheduled": False,
                    "created": when,
                    "updated": when,
                }
            )
            state_rows.append(
                {"flow_run_id": run_id, "type": state, "name": state.title(), "timestamp": when}
            )
            if len(run_rows) == 5000:
                conn.execute(t.flow_run.insert(), run_rows)
                conn.execute(t.flow_run_state.insert(), state_rows)
                run_rows, state_rows = [], []
        if run_rows:
            conn.execute(t.flow_run.insert(), run_rows)
            conn.execute(t.flow_run_state.insert(), state_rows)
        first_run = conn.execute(  # a RUNNING run, so its log stream stays open
            sa.select(t.flow_run.c.id)
            .where(t.flow_run.c.state_type == "RUNNING")
            .order_by(t.flow_run.c.scheduled_time.desc())
            .limit(1)
        ).scalar_one()
        conn.execute(
            t.log.insert(),
            [
                {
                    "flow_run_id": first_run,
                    "level": 20,
                    "name": "bench",
                    "message": f"log line {i}",
                    "timestamp": now,
                }
                for i in range(2000)
            ],
        )
        deep = conn.execute(
            sa.select(t.flow_run.c.scheduled_time, t.flow_run.c.id)
            .order_by(t.flow_run.c.scheduled_time.desc(), t.flow_run.c.id.desc())
            .offset(runs - 100)
            .limit(1)
        ).one()
    db.dispose()
    from flowyard.ui.queries import encode_cursor

    return {
        "run": first_run,
        "deployment": dep_rows[0]["id"],
        "deep_cursor": encode_cursor(deep.scheduled_time, deep.id),
    }


def time_pages(base: str, ids: dict[str, str]) -> list[tuple[str, float, float]]:
    """(page, median ms, max ms) for every page."""
    from urllib.parse import quote

    pages = [
        "/pools",
        "/pools?fragment=1",
        "/pools/new",
        "/pools/pool-0",
        "/pools/pool-0?tab=queues",
        "/pools/pool-0?tab=workers",
        "/pools/pool-0?tab=deployments",
        "/pools/pool-0?tab=runs",
        "/pools/pool-0/template",
        "/deployments",
        "/deployments?after=" + quote("bench-flow/dep-0900"),
        f"/deployments/{ids['deployment']}",
        "/runs",
        "/runs?state=FAILED",
        "/runs?pool=pool-3",
        f"/runs?deployment={ids['deployment']}",
        "/runs?before=" + quote(ids["deep_cursor"]),
        f"/runs/{ids['run']}",
        f"/runs/{ids['run']}/logs/download",
        "/docs",
    ]
    out = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, (page, response.status_code, response.text[:300])
            samples = []
            for _ in range(20):
                start = time.perf_counter()
                client.get(page).raise_for_status()
                samples.append((time.perf_counter() - start) * 1000)
            out.append((page, statistics.median(samples), max(samples)))
    return out


def log_latency(base: str, run_id: str, repeats: int = 10) -> list[float]:
    """Seconds from POSTing a log line to it being in the run page's DOM."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("FLOWYARD_CHROMIUM", "/usr/bin/chromium")
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=args)
        page = browser.new_page()
        page.goto(f"{base}/runs/{run_id}")
        page.wait_for_selector("#logs li[data-level]")
        page.evaluate(
            """() => { window.__seen = {}; new MutationObserver(() => {
                 for (const li of document.querySelectorAll('#logs li[data-level]')) {
                   const m = li.textContent.match(/probe-(\\d+)/);
                   if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = Date.now();
                 } }).observe(document.getElementById('logs'), {childList: true}); }"""
        )
        with httpx.Client(base_url=base + "/api", timeout=30) as api:
            for i in range(repeats):
                time.sleep(0.3)
                sent = time.time() * 1000
                api.post(
                    "/logs",
                    json=[
                        {
                            "flow_run_id": run_id,
                            "level": 20,
                            "name": "probe",
                            "message": f"probe-{i}",
                        }
                    ],
                ).raise_for_status()
                page.wait_for_function(f"() => '{i}' in window.__seen")
                results.append((page.evaluate(f"window.__seen['{i}']") - sent) / 1000)
        browser.close()
    return results


def main() -> None:
    """Seed, start the server, measure, print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--deployments", type=int, default=1_000)
    options = parser.parse_args()
    home = scratch_dir("flowyard-ui-bench-")
    url = f"sqlite:///{home / 'flowyard.db'}"
    started = time.perf_counter()
    ids = seed(url, options.runs, options.deployments)
    print(
        f"seeded {options.runs} runs, {options.deployments} deployments in "
        f"{time.perf_counter() - started:.1f}s"
    )
    port = free_port()
    env = {**os.environ, "FLOWYARD_HOME": str(home), "FLOWYARD_DATABASE_URL": url}
    server = subprocess.Popen([*CLI, "server", "start", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        print(f"{'page':<60} {'median ms':>10} {'max ms':>8}")
        for page, median, worst in time_pages(base, ids):
            print(f"{page[:60]:<60} {median:>10.1f} {worst:>8.1f}")
        if Path(os.environ.get("FLOWYARD_CHROMIUM", "/usr/bin/chromium")).exists():
            latencies = log_latency(base, ids["run"])
            print(
                f"log line -> browser: median {statistics.median(latencies):.3f}s, "
                f"max {max(latencies):.3f}s over {len(latencies)}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
