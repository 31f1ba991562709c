"""Claim throughput: a real server on loopback; create N runs, then K claimers take them.

Prints runs created/s (4 concurrent creators, BATCH runs per request through
``POST /deployments/{id}/runs/bulk``; BATCH=1 uses one ``POST /deployments/{id}/runs`` per run)
and runs claimed/s (K claimers, 50 per claim), checks no run was claimed twice and counts server
errors (HTTP 5xx). The server is ``flowyard server start`` in its own process (services off), so
the clients do not share its GIL; its CPU time per run created and per run claimed is printed
too (read from /proc, so it does not depend on the machine's load).
Run: `.venv/bin/python bench/claim_throughput.py [sqlite|postgres]` (postgres reads
FLOWYARD_TEST_DATABASE_URL; every flowyard table in it is dropped first).
Environment: N (2000), K claimers (4), BATCH (200).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from flowyard.testing.plugin import reset_postgres
from harness import cpu_seconds, host_speed, scratch_dir, serve_database

N = int(os.environ.get("N", "2000"))
K = int(os.environ.get("K", "4"))
BATCH = int(os.environ.get("BATCH", "200"))
PER_CLAIM = 50
CREATORS = 4


def main() -> None:
    print(host_speed(), flush=True)
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    home = scratch_dir()
    if backend == "postgres":
        url = os.environ["FLOWYARD_TEST_DATABASE_URL"]
        reset_postgres(url)
    else:
        url = f"sqlite:///{home / 'bench.db'}"
    server, api_url = serve_database(home, url, FLOWYARD_SERVER_SERVICES="false")
    try:
        with httpx.Client(base_url=api_url, timeout=60) as http:
            http.post("/work_pools", json={"name": "bench", "type": "process"}).raise_for_status()
            dep = http.post(
                "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "bench"}
            ).json()

        local = threading.local()
        statuses: Counter[int] = Counter()

        def create(size: int) -> None:
            if not hasattr(local, "http"):
                local.http = httpx.Client(base_url=api_url, timeout=60)
            if BATCH == 1:
                response = local.http.post(f"/deployments/{dep['id']}/runs", json={})
            else:
                response = local.http.post(
                    f"/deployments/{dep['id']}/runs/bulk", json={"runs": [{}] * size}
                )
            statuses[response.status_code] += 1
            response.raise_for_status()

        batches = [min(BATCH, N - i) for i in range(0, N, BATCH)]
        cpu = cpu_seconds(server.pid)
        started = time.perf_counter()
        with ThreadPoolExecutor(CREATORS) as pool:
            list(pool.map(create, batches))
        create_s = time.perf_counter() - started
        create_cpu = cpu_seconds(server.pid) - cpu

        claimed: list[str] = []
        lock = threading.Lock()

        def claimer(i: int) -> None:
            with httpx.Client(base_url=api_url, timeout=60) as http:
                while True:
                    response = http.post(
                        "/work_pools/bench/claim", json={"worker_name": f"w{i}", "limit": PER_CLAIM}
                    )
                    with lock:
                        statuses[response.status_code] += 1
                    runs = response.json()["runs"]
                    if not runs:
                        return
                    with lock:
                        claimed.extend(r["flow_run"]["id"] for r in runs)

        cpu = cpu_seconds(server.pid)
        started = time.perf_counter()
        threads = [threading.Thread(target=claimer, args=(i,)) for i in range(K)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        claim_s = time.perf_counter() - started
        claim_cpu = cpu_seconds(server.pid) - cpu
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    twice = sum(1 for n in Counter(claimed).values() if n > 1)
    print(
        f"{backend}: created {N} runs in {create_s:.2f} s = {N / create_s:.0f} runs/s "
        f"({CREATORS} creators, {BATCH} per request); server CPU {create_cpu / N * 1e6:.0f} µs "
        f"per run = {N / create_cpu:.0f} runs per CPU-second"
    )
    print(
        f"{backend}: claimed {len(claimed)} runs in {claim_s:.2f} s = {len(claimed) / claim_s:.0f} runs/s "
        f"({K} claimers, {PER_CLAIM}/claim); claimed twice: {twice}; server CPU "
        f"{claim_cpu / max(len(claimed), 1) * 1e6:.0f} µs per run = "
        f"{len(claimed) / claim_cpu:.0f} runs per CPU-second"
    )
    print(f"{backend}: load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    errors = sum(n for status, n in statuses.items() if status >= 500)
    print(f"{backend}: HTTP statuses {dict(statuses)}; server errors: {errors}")


if __name__ == "__main__":
    main()
