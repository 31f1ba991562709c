"""A dry-run claim is a read-only preview: it shows the selection and changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from conftest import Api
from flowyard.testing.plugin import RunningServer


def lease_of(server: RunningServer, run_id: str) -> object:
    from flowyard.server import tables as t

    engine = sa.create_engine(server.settings.resolved_database_url())
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(t.flow_run.c.lease_expires).where(t.flow_run.c.id == run_id)
        ).scalar_one()
    engine.dispose()
    return value


def test_preview_shows_what_a_claim_would_take_without_claiming_it(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    body = {"worker_name": "w", "dry_run": True}
    previewed = api.post("/work_pools/pool/claim", json=body).json()["runs"]
    assert [(p["flow_run"]["id"], p["claim_id"]) for p in previewed] == [(run["id"], "")]
    assert api.get(f"/flow_runs/{run['id']}").json()["state_type"] == "SCHEDULED"
    claimed = api.post("/work_pools/pool/claim", json={"worker_name": "w"}).json()["runs"]
    assert [c["flow_run"]["id"] for c in claimed] == [run["id"]]


def test_preview_is_not_recorded_as_a_poll(api: Api) -> None:
    api.pool()
    api.run(api.deployment()["id"])
    api.post("/work_pools/pool/claim", json={"worker_name": "w", "dry_run": True})
    assert api.get("/work_pools/pool/queues/default").json()["last_polled"] is None
    api.post("/work_pools/pool/claim", json={"worker_name": "w"})
    assert api.get("/work_pools/pool/queues/default").json()["last_polled"] is not None


def test_preview_does_not_renew_held_leases_but_reports_cancelling(
    api: Api, server: RunningServer
) -> None:
    api.pool()
    dep = api.deployment()
    run = api.run(dep["id"])
    api.post("/work_pools/pool/claim", json={"worker_name": "w", "lease_seconds": 60})
    lease = lease_of(server, run["id"])
    body = {"worker_name": "w", "dry_run": True, "held_run_ids": [run["id"]], "lease_seconds": 600}
    assert api.post("/work_pools/pool/claim", json=body).json()["cancelling"] == []
    assert lease_of(server, run["id"]) == lease
    api.post(f"/flow_runs/{run['id']}/state", json={"type": "CANCELLING"})
    assert api.post("/work_pools/pool/claim", json=body).json()["cancelling"] == [run["id"]]


def test_preview_of_an_unknown_queue_is_404(api: Api) -> None:
    api.pool()
    body = {"worker_name": "w", "dry_run": True, "work_queue_names": ["typo"]}
    assert api.post("/work_pools/pool/claim", json=body).status_code == 404
