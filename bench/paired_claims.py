"""Claim latency of two flowyard versions side by side, in the same minutes.

This VM's speed moves by up to 2x within an hour, so a single run of ``scale.py`` cannot tell a
0.5 ms change from the host's mood. This script starts two ``flowyard server start`` processes,
each on its own copy of one 100,000-run SQLite database (``scale.py``'s layout, built once and
cached), and alternates blocks of claims (1 run each, one claimer) between them, so both see the
same load. Side A runs the code on ``--a-path`` (put first on ``PYTHONPATH``, e.g. a
``git worktree`` of an older commit's ``core/src``), side B the installed code. ``--a-plain``
hides ``httptools`` and ``uvloop`` from side A (as an install without them).

Run: ``.venv/bin/python bench/paired_claims.py --a-path /tmp/old/core/src [--a-plain]``
Prints per side: claim p50 / p90 / p99, the server's CPU per claim (median of the blocks) and
the ``GET /api/health`` round trip measured between the blocks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from flowyard.server.db import Database
from harness import cpu_seconds, host_speed, scratch_dir, serve_database
from scale import load, percentile

CACHE = Path(tempfile.gettempdir()) / "flowyard-bench-scale100k.db"
_HIDE_ACCELERATORS = 'import sys\nsys.modules["uvloop"] = None\nsys.modules["httptools"] = None\n'


def cached_database() -> Path:
    """The 100,000-run database of ``scale.py`` (built on first use, ~20 s)."""
    if not CACHE.exists():
        building = CACHE.with_suffix(".building")
        building.unlink(missing_ok=True)
        db = Database(f"sqlite:///{building}")
        db.migrate()
        load(db)
        db.dispose()
        building.rename(CACHE)
    return CACHE


def main() -> None:
    print(host_speed(), flush=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a-path", required=True, help="source directory for side A (PYTHONPATH)")
    parser.add_argument("--a-plain", action="store_true", help="side A without httptools/uvloop")
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--block", type=int, default=50)
    args = parser.parse_args()
    if args.rounds * args.block > 900:
        sys.exit("rounds x block must stay within the 1,000 due runs of one pool")
    seed = cached_database()
    a_path = args.a_path
    if args.a_plain:
        hide = scratch_dir("paired-plain-")
        (hide / "sitecustomize.py").write_text(_HIDE_ACCELERATORS)
        a_path = f"{a_path}{os.pathsep}{hide}"
    sides = {}
    for side, extra in (("A", {"PYTHONPATH": a_path}), ("B", {})):
        home = scratch_dir(f"paired-{side}-")
        shutil.copy(seed, home / "scale.db")
        sides[side] = serve_database(home, f"sqlite:///{home / 'scale.db'}", **extra)
    latencies: dict[str, list[float]] = {s: [] for s in sides}
    cpu: dict[str, list[float]] = {s: [] for s in sides}
    health: dict[str, list[float]] = {s: [] for s in sides}
    clients = {s: httpx.Client(base_url=sides[s][1], timeout=60) for s in sides}
    try:
        time.sleep(6)  # the service loops' first ticks
        for http in clients.values():
            for _ in range(20):
                http.get("/health")
        for r in range(args.rounds):
            for side in sides if r % 2 == 0 else list(sides)[::-1]:
                http, pid = clients[side], sides[side][0].pid
                for _ in range(10):
                    started = time.perf_counter()
                    http.get("/health")
                    health[side].append((time.perf_counter() - started) * 1000)
                before = cpu_seconds(pid)
                for _ in range(args.block):
                    started = time.perf_counter()
                    answer = http.post(
                        "/work_pools/pool1/claim", json={"worker_name": "w", "limit": 1}
                    )
                    latencies[side].append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200 and answer.json()["runs"], answer.text
                cpu[side].append((cpu_seconds(pid) - before) / args.block * 1000)
        for side in sides:
            values = latencies[side]
            print(
                f"{side}: claim p50 {percentile(values, 0.5):.2f} ms, p90 {percentile(values, 0.9):.2f}, "
                f"p99 {percentile(values, 0.99):.2f}; server CPU {statistics.median(cpu[side]):.2f} "
                f"ms per claim; health p50 {statistics.median(health[side]):.2f} ms ({len(values)} claims)"
            )
        print(f"load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    finally:
        for server, _ in sides.values():
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
