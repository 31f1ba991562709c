"""Claim throughput: a real server on loopback; create N runs, then K claimers take them.

Prints runs created/s (4 concurrent creators, BATCH runs per request through
``POST /deployments/{id}/runs/bulk``; BATCH=1 uses one ``POST /deployments/{id}/runs`` per run)
and runs claimed/s (K claimers, 50 per claim), checks no run was claimed twice and counts server
errors (HTTP 5xx). The server runs in this process (uvicorn in a thread), so the clients share
its GIL: the figures are a floor.
Run: `.venv/bin/python bench/claim_throughput.py [sqlite|postgres]` (postgres reads
FLOWYARD_TEST_DATABASE_URL; every flowyard table in it is dropped first).
Environment: N (2000), K claimers (4), BATCH (200).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from flowyard.settings import Settings
from flowyard.testing.plugin import free_port, reset_postgres, start_server, stop_server

N = int(os.environ.get("N", "2000"))
K = int(os.environ.get("K", "4"))
BATCH = int(os.environ.get("BATCH", "200"))
PER_CLAIM = 50
CREATORS = 4


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    home = Path(tempfile.mkdtemp())
    if backend == "postgres":
        url = os.environ["FLOWYARD_TEST_DATABASE_URL"]
        reset_postgres(url)
    else:
        url = f"sqlite:///{home / 'bench.db'}"
    server = start_server(
        Settings(home=home, database_url=url, server_port=free_port(), server_services=False)
    )
    try:
        with httpx.Client(base_url=server.api_url, timeout=60) as http:
            http.post("/work_pools", json={"name": "bench", "type": "process"}).raise_for_status()
            dep = http.post(
                "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "bench"}
            ).json()

        local = threading.local()
        statuses: Counter[int] = Counter()

        def create(size: int) -> None:
            if not hasattr(local, "http"):
                local.http = httpx.Client(base_url=server.api_url, timeout=60)
            if BATCH == 1:
                response = local.http.post(f"/deployments/{dep['id']}/runs", json={})
            else:
                response = local.http.post(
                    f"/deployments/{dep['id']}/runs/bulk", json={"runs": [{}] * size}
                )
            statuses[response.status_code] += 1
            response.raise_for_status()

        batches = [min(BATCH, N - i) for i in range(0, N, BATCH)]
        started = time.perf_counter()
        with ThreadPoolExecutor(CREATORS) as pool:
            list(pool.map(create, batches))
        create_s = time.perf_counter() - started

        claimed: list[str] = []
        lock = threading.Lock()

        def claimer(i: int) -> None:
            with httpx.Client(base_url=server.api_url, timeout=60) as http:
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

        started = time.perf_counter()
        threads = [threading.Thread(target=claimer, args=(i,)) for i in range(K)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        claim_s = time.perf_counter() - started
    finally:
        stop_server(server)
    twice = sum(1 for n in Counter(claimed).values() if n > 1)
    print(
        f"{backend}: created {N} runs in {create_s:.2f} s = {N / create_s:.0f} runs/s "
        f"({CREATORS} creators, {BATCH} per request)"
    )
    print(
        f"{backend}: claimed {len(claimed)} runs in {claim_s:.2f} s = {len(claimed) / claim_s:.0f} runs/s "
        f"({K} claimers, {PER_CLAIM}/claim); claimed twice: {twice}"
    )
    errors = sum(n for status, n in statuses.items() if status >= 500)
    print(f"{backend}: HTTP statuses {dict(statuses)}; server errors: {errors}")


if __name__ == "__main__":
    main()
