"""Claims racing queue-priority and pool changes never deadlock (no 5xx) on PostgreSQL.

Every write touching a pool's queues takes the pool's row lock first (pool, then queues, then
runs), so claims, polls, priority changes and pool updates serialise instead of deadlocking.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter

import httpx
from conftest import Api
from flowyard.testing.plugin import RunningServer

SECONDS = 12.0
QUEUES = ["a", "b", "c", "d"]


def test_claims_and_queue_and_pool_changes_race_without_server_errors(
    api: Api, server: RunningServer
) -> None:
    api.pool()
    for name in QUEUES:
        api.post("/work_pools/pool/queues", json={"name": name})
    dep = api.deployment()
    for i in range(120):
        api.run(dep["id"], work_queue_name=QUEUES[i % len(QUEUES)])
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def loop(send: object) -> None:
        with httpx.Client(base_url=server.api_url, timeout=60) as http:
            for step in itertools.count():
                if time.monotonic() > stop:
                    return
                response = send(http, step)  # type: ignore[operator]
                with lock:
                    statuses[response.status_code] += 1

    def claim(http: httpx.Client, step: int) -> httpx.Response:
        queues = [QUEUES[step % 4], QUEUES[(step + 1) % 4]] if step % 2 else []
        return http.post(
            "/work_pools/pool/claim",
            json={"worker_name": f"w{step % 3}", "limit": 2, "work_queue_names": queues},
        )

    def reprioritise(http: httpx.Client, step: int) -> httpx.Response:
        name = QUEUES[step % len(QUEUES)]
        return http.patch(f"/work_pools/pool/queues/{name}", json={"priority": 1 + step % 5})

    def update_pool(http: httpx.Client, step: int) -> httpx.Response:
        return http.patch("/work_pools/pool", json={"description": f"step {step}"})

    threads = [threading.Thread(target=loop, args=(f,)) for f in [claim] * 4 + [reprioritise] * 2]
    threads.append(threading.Thread(target=loop, args=(update_pool,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    assert sum(statuses.values()) > 50
    assert not [s for s in statuses if s >= 500], statuses
