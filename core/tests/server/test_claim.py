"""Atomic claims: ordering/limit vectors A-J (docs/work-pools.md §2), leases, long-poll, on both databases."""

from __future__ import annotations

import datetime as dt
import threading
import time

import sqlalchemy as sa
from conftest import Api
from flowyard.testing.plugin import RunningServer

NOW = dt.datetime.now(dt.UTC)


def at(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


def setup_reference_pool(api: Api) -> dict[str, str]:
    """Pool-a of vectors A-J: queues high(1) default(2) mid(3) brand-new-queue(4) low(10)."""
    api.pool("pool-a")
    api.post("/work_pools/pool-a/queues", json={"name": "high", "priority": 1})
    api.post("/work_pools/pool-a/queues", json={"name": "mid", "priority": 3})
    api.post("/work_pools/pool-a/queues", json={"name": "low", "priority": 10})
    api.post("/work_pools/pool-a/queues", json={"name": "brand-new-queue"})
    dep = api.deployment("pool-a")
    names = {}
    for name, queue, offset in [
        ("d1", "default", -120),
        ("d2", "default", -60),
        ("h1", "high", -30),
        ("h2", "high", -10),
        ("m1", "mid", -200),
        ("l1", "low", -300),
        ("future", "high", 3600),
        ("newq", "brand-new-queue", -5),
    ]:
        run = api.run(dep["id"], name=name, work_queue_name=queue, scheduled_time=at(offset))
        names[run["id"]] = name
    return names


def order(api: Api, names: dict[str, str], **body: object) -> list[str]:
    response = api.post(
        "/work_pools/pool-a/claim", json={"worker_name": "w", "limit": 100, "dry_run": True, **body}
    )
    assert response.status_code == 200, response.text
    return [names[r["flow_run"]["id"]] for r in response.json()["runs"]]


def force(server: RunningServer, names: dict[str, str], name: str, state: str) -> None:
    from flowyard.server import tables as t

    run_id = next(i for i, n in names.items() if n == name)
    engine = sa.create_engine(server.settings.resolved_database_url())
    with engine.begin() as conn:
        conn.execute(
            t.flow_run.update()
            .where(t.flow_run.c.id == run_id)
            .values(state_type=state, state_name=state.title())
        )
    engine.dispose()


def test_reference_ordering_and_limit_vectors(api: Api, server: RunningServer) -> None:
    names = setup_reference_pool(api)
    prefetch = {"prefetch_seconds": 10}
    assert order(api, names, **prefetch) == ["h1", "h2", "d1", "d2", "m1", "newq", "l1"]  # A
    assert order(api, names, work_queue_names=["low", "default"], **prefetch) == [
        "d1",
        "d2",
        "l1",
    ]  # B
    assert order(api, names, prefetch_seconds=7200) == [
        "h1",
        "h2",
        "future",
        "d1",
        "d2",
        "m1",
        "newq",
        "l1",
    ]  # C
    api.patch("/work_pools/pool-a/queues/default", json={"concurrency_limit": 1})
    assert order(api, names, **prefetch) == ["h1", "h2", "d1", "m1", "newq", "l1"]  # D
    force(server, names, "d1", "PENDING")
    assert order(api, names, **prefetch) == ["h1", "h2", "m1", "newq", "l1"]  # E
    api.patch("/work_pools/pool-a", json={"concurrency_limit": 3})
    assert order(api, names, **prefetch) == ["h1", "h2"]  # F
    force(server, names, "h1", "CANCELLING")
    assert order(api, names, **prefetch) == ["h2", "m1"]  # G: CANCELLING does not hold a slot
    api.patch("/work_pools/pool-a", json={"concurrency_limit": None})
    assert order(api, names, **prefetch) == ["h2", "m1", "newq", "l1"]  # H
    api.patch("/work_pools/pool-a/queues/mid", json={"is_paused": True})
    assert order(api, names, **prefetch) == ["h2", "newq", "l1"]  # I
    api.patch("/work_pools/pool-a", json={"is_paused": True})
    assert order(api, names, **prefetch) == []  # J
    assert api.get("/work_pools/pool-a").json()["status"] == "PAUSED"


def test_unknown_queue_name_is_404_not_silence(api: Api) -> None:
    api.pool()
    response = api.post(
        "/work_pools/pool/claim", json={"worker_name": "w", "work_queue_names": ["typo"]}
    )
    assert response.status_code == 404
    assert "'typo'" in response.json()["detail"]


def test_claim_moves_runs_to_pending_with_a_lease_and_history(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    claimed = api.post("/work_pools/pool/claim", json={"worker_name": "w1", "limit": 5}).json()[
        "runs"
    ]
    assert [c["flow_run"]["id"] for c in claimed] == [run["id"]]
    assert claimed[0]["flow_run"]["state_type"] == "PENDING"
    assert claimed[0]["deployment"]["id"] == dep["id"]
    assert claimed[0]["base_job_template"]["job_configuration"]
    history = api.get(f"/flow_runs/{run['id']}/history").json()
    assert [h["type"] for h in history] == ["SCHEDULED", "PENDING"]
    again = api.post("/work_pools/pool/claim", json={"worker_name": "w2", "limit": 5}).json()[
        "runs"
    ]
    assert again == []


def test_the_claim_answer_is_exactly_the_claim_response_models_json(api: Api) -> None:
    """The runs are serialised once, in the claim's transaction, and the answer is assembled
    around them: it must be byte for byte what the response model serialises to."""
    from flowyard.schemas.runs import ClaimResponse

    api.pool("json-pool")
    dep = api.deployment("json-pool", parameters={"name": "zoë", "n": [1, 2.5, None]})
    held = api.run(dep["id"], scheduled_time=at(-20))
    api.run(dep["id"], scheduled_time=at(-10))
    first = api.post("/work_pools/json-pool/claim", json={"worker_name": "w", "limit": 1})
    assert [r["flow_run"]["id"] for r in first.json()["runs"]] == [held["id"]]
    api.post(f"/flow_runs/{held['id']}/cancel")

    answer = api.post(
        "/work_pools/json-pool/claim",
        json={"worker_name": "w", "limit": 5, "held_run_ids": [held["id"], "gone"]},
    )

    body = answer.json()
    assert len(body["runs"]) == 1 and body["runs"][0]["run_token"]
    assert body["cancelling"] == [held["id"]] and body["lost"] == ["gone"]
    model = ClaimResponse.model_validate_json(answer.content)
    assert answer.content == model.model_dump_json().encode()


def test_running_needs_the_claim_id(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    claim = api.post("/work_pools/pool/claim", json={"worker_name": "w1"}).json()["runs"][0]
    wrong = api.post(
        f"/flow_runs/{run['id']}/state", json={"type": "RUNNING", "claim_id": "other"}
    ).json()
    assert wrong["status"] == "ABORT"
    right = api.post(
        f"/flow_runs/{run['id']}/state", json={"type": "RUNNING", "claim_id": claim["claim_id"]}
    ).json()
    assert right["status"] == "ACCEPT"
    assert (
        api.post(f"/flow_runs/{run['id']}/state", json={"type": "PENDING"}).json()["status"]
        == "ABORT"
    )


def test_prefetched_run_waits_until_its_time(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"], scheduled_time=at(5))
    claim = api.post(
        "/work_pools/pool/claim", json={"worker_name": "w1", "prefetch_seconds": 10}
    ).json()["runs"][0]
    result = api.post(
        f"/flow_runs/{run['id']}/state", json={"type": "RUNNING", "claim_id": claim["claim_id"]}
    ).json()
    assert result["status"] == "WAIT"
    assert 3 < result["delay_seconds"] <= 5


def test_expired_lease_returns_the_run_to_scheduled(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    api.post("/work_pools/pool/claim", json={"worker_name": "dead", "lease_seconds": 0.5})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = api.get(f"/flow_runs/{run['id']}").json()
        if state["state_type"] == "SCHEDULED":
            break
        time.sleep(0.2)
    assert state["state_type"] == "SCHEDULED" and state["state_name"] == "Rescheduled"
    assert "dead" in state["state_message"]
    assert len(api.post("/work_pools/pool/claim", json={"worker_name": "w2"}).json()["runs"]) == 1


def test_heartbeat_renews_held_leases(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    api.post("/work_pools/pool/claim", json={"worker_name": "w1", "lease_seconds": 1})
    for _ in range(4):
        time.sleep(0.5)
        api.post(
            "/work_pools/pool/workers/heartbeat", json={"name": "w1", "held_run_ids": [run["id"]]}
        )
    assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "PENDING"


def test_a_long_poll_keeps_renewing_held_leases_shorter_than_its_wait(api: Api) -> None:
    """Re-checks read the held runs without the write lock, but a lease that would lapse during
    the poll is still renewed (every third of the lease)."""
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    api.post("/work_pools/pool/claim", json={"worker_name": "w1", "lease_seconds": 1})

    api.post(
        "/work_pools/pool/claim",
        json={
            "worker_name": "w1",
            "limit": 0,
            "lease_seconds": 1,
            "wait_seconds": 3,
            "held_run_ids": [run["id"]],
        },
    )

    read = api.get(f"/flow_runs/{run['id']}").json()
    assert (read["state_type"], read["worker_name"]) == ("PENDING", "w1")


def test_long_poll_returns_as_soon_as_a_run_is_created(api: Api, server: RunningServer) -> None:
    api.pool()
    dep = api.deployment()
    result: dict[str, object] = {}

    def claimer() -> None:
        started = time.monotonic()
        result["runs"] = api.post(
            "/work_pools/pool/claim", json={"worker_name": "w", "wait_seconds": 10}
        ).json()["runs"]
        result["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=claimer)
    thread.start()
    time.sleep(0.5)
    created = time.monotonic()
    api.run(dep["id"])
    thread.join(15)
    assert len(result["runs"]) == 1  # type: ignore[arg-type]
    assert time.monotonic() - created < 1.0


def test_long_poll_wakes_for_a_cancel_of_a_held_run(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    api.post("/work_pools/pool/claim", json={"worker_name": "w"})
    timer = threading.Timer(0.3, lambda: api.post(f"/flow_runs/{run['id']}/cancel"))
    timer.start()
    response = api.post(
        "/work_pools/pool/claim",
        json={"worker_name": "w", "wait_seconds": 10, "held_run_ids": [run["id"]]},
    )
    timer.join(10)  # its request must finish before the client is closed
    assert response.json()["cancelling"] == [run["id"]]


def test_cancelling_a_scheduled_run_cancels_it_at_once(api: Api) -> None:
    api.pool()
    run = api.run(api.deployment()["id"])
    assert api.post(f"/flow_runs/{run['id']}/cancel").json()["state_type"] == "CANCELLED"


def test_late_runs_are_marked(api: Api, server: RunningServer) -> None:
    from flowyard.server.services.context import ServerContext
    from flowyard.server.services.loops import mark_late_runs

    api.pool()
    run = api.run(api.deployment()["id"], scheduled_time=at(-60))
    ctx: ServerContext = server.handle[0].config.app.state.ctx
    mark_late_runs(ctx)
    state = api.get(f"/flow_runs/{run['id']}").json()
    assert (state["state_type"], state["state_name"]) == ("SCHEDULED", "Late")


def test_a_retried_start_with_the_same_claim_is_accepted_once(api: Api) -> None:
    """The engine retries its start when the answer was lost (a server replica died)."""
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    claim = api.post("/work_pools/pool/claim", json={"worker_name": "w1"}).json()["runs"][0]
    start = {"type": "RUNNING", "claim_id": claim["claim_id"]}
    assert api.post(f"/flow_runs/{run['id']}/state", json=start).json()["status"] == "ACCEPT"
    assert api.post(f"/flow_runs/{run['id']}/state", json=start).json()["status"] == "ACCEPT"
    history = [h["type"] for h in api.get(f"/flow_runs/{run['id']}/history").json()]
    assert history == ["SCHEDULED", "PENDING", "RUNNING"]
    other = {"type": "RUNNING", "claim_id": "other"}
    assert api.post(f"/flow_runs/{run['id']}/state", json=other).json()["status"] == "ABORT"


def claim_names(api: Api, limit: int = 1, **body: object) -> list[str]:
    response = api.post("/work_pools/pool/claim", json={"worker_name": "w", "limit": limit, **body})
    assert response.status_code == 200, response.text
    return [r["flow_run"]["name"] for r in response.json()["runs"]]


def backlogged_pool(api: Api, runs: int) -> None:
    """A pool with ``runs`` due runs, one already claimed in full (so the server knows the pool as
    backlogged and its next claim skips the read-only check)."""
    api.pool()
    dep = api.deployment()
    for i in range(runs):
        api.run(dep["id"], name=f"r{i}", scheduled_time=at(-100 + i))
    assert claim_names(api) == ["r0"]


def test_a_backlogged_pool_that_is_paused_gives_nothing_until_resumed(api: Api) -> None:
    backlogged_pool(api, 4)
    assert api.patch("/work_pools/pool", json={"is_paused": True}).status_code == 200
    assert claim_names(api) == []
    assert api.patch("/work_pools/pool", json={"is_paused": False}).status_code == 200
    assert claim_names(api, limit=5) == ["r1", "r2", "r3"]
    assert claim_names(api) == []


def test_a_backlogged_pool_keeps_its_concurrency_limit(api: Api) -> None:
    backlogged_pool(api, 4)
    assert api.patch("/work_pools/pool", json={"concurrency_limit": 2}).status_code == 200
    assert claim_names(api, limit=5) == ["r1"]  # r0 is PENDING: one slot of two is left
    assert claim_names(api) == []


def test_a_backlogged_pool_still_refuses_an_unknown_queue(api: Api) -> None:
    backlogged_pool(api, 3)
    response = api.post(
        "/work_pools/pool/claim", json={"worker_name": "w", "work_queue_names": ["typo"]}
    )
    assert response.status_code == 404
    assert "'typo'" in response.json()["detail"]
    assert claim_names(api) == ["r1"]
