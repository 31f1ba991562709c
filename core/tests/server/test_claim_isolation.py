"""A claimed run whose answer cannot be built is set aside; the rest of its batch is answered.

The bad run is planted directly in the database (the API refuses such values): parameters nested
deeper than JSON serialisation allows. The claim marks it FAILED ("Unclaimable") with a message
naming the field, answers the good runs, and the pool keeps working.
"""

from __future__ import annotations

import sqlalchemy as sa
from conftest import Api
from flowyard.server import tables as t
from flowyard.testing.plugin import RunningServer


def _deep(levels: int) -> dict[str, object]:
    root: dict[str, object] = {}
    node = root
    for _ in range(levels):
        child: dict[str, object] = {}
        node["a"] = child
        node = child
    return root


def _plant_parameters(server: RunningServer, run_id: str, parameters: object) -> None:
    engine = sa.create_engine(server.settings.resolved_database_url())
    try:
        with engine.begin() as conn:
            conn.execute(
                t.flow_run.update().where(t.flow_run.c.id == run_id).values(parameters=parameters)
            )
    finally:
        engine.dispose()


def test_a_run_that_cannot_be_answered_is_set_aside_and_the_batch_is_answered(
    api: Api, server: RunningServer
) -> None:
    api.pool()
    dep = api.deployment()
    good = [api.run(dep["id"]) for _ in range(2)]
    bad = api.run(dep["id"])
    _plant_parameters(server, bad["id"], _deep(300))

    response = api.post("/work_pools/pool/claim", json={"worker_name": "w", "limit": 10})

    assert response.status_code == 200, response.text
    assert {r["flow_run"]["id"] for r in response.json()["runs"]} == {r["id"] for r in good}
    history = api.get(f"/flow_runs/{bad['id']}/history").json()
    assert history[-1]["type"] == "FAILED"
    assert history[-1]["name"] == "Unclaimable"
    assert "'flow_run.parameters'" in history[-1]["message"]


def test_a_set_aside_run_reads_as_failed_with_its_reason(api: Api, server: RunningServer) -> None:
    api.pool()
    dep = api.deployment()
    bad = api.run(dep["id"])
    _plant_parameters(server, bad["id"], _deep(300))
    api.post("/work_pools/pool/claim", json={"worker_name": "w"})

    response = api.get(f"/flow_runs/{bad['id']}")

    assert response.status_code == 200, response.text
    assert response.json()["state_type"] == "FAILED"
    assert "flow_run.parameters" in response.json()["state_message"]


def test_the_pool_keeps_claiming_after_a_run_was_set_aside(api: Api, server: RunningServer) -> None:
    api.pool()
    dep = api.deployment()
    bad = api.run(dep["id"])
    _plant_parameters(server, bad["id"], _deep(300))
    assert api.post("/work_pools/pool/claim", json={"worker_name": "w"}).json()["runs"] == []

    later = api.run(dep["id"])
    response = api.post("/work_pools/pool/claim", json={"worker_name": "w"})

    assert [r["flow_run"]["id"] for r in response.json()["runs"]] == [later["id"]]


def test_a_preview_leaves_an_unanswerable_run_out_without_changing_it(
    api: Api, server: RunningServer
) -> None:
    api.pool()
    dep = api.deployment()
    bad = api.run(dep["id"])
    _plant_parameters(server, bad["id"], _deep(300))

    response = api.post("/work_pools/pool/claim", json={"worker_name": "w", "dry_run": True})

    assert response.status_code == 200, response.text
    assert response.json()["runs"] == []
    assert api.get(f"/flow_runs/{bad['id']}/history").json()[-1]["type"] == "SCHEDULED"


def test_runs_of_a_deployment_that_cannot_be_answered_are_set_aside_naming_its_field(
    api: Api, server: RunningServer
) -> None:
    api.pool()
    bad_dep = api.deployment(name="bad")
    good_dep = api.deployment(name="good")
    bad = api.run(bad_dep["id"])
    good = api.run(good_dep["id"])
    engine = sa.create_engine(server.settings.resolved_database_url())
    try:
        with engine.begin() as conn:
            conn.execute(
                t.deployment.update()
                .where(t.deployment.c.id == bad_dep["id"])
                .values(job_variables=_deep(300))
            )
    finally:
        engine.dispose()

    response = api.post("/work_pools/pool/claim", json={"worker_name": "w", "limit": 10})

    assert [r["flow_run"]["id"] for r in response.json()["runs"]] == [good["id"]]
    assert (
        "'deployment.job_variables'" in api.get(f"/flow_runs/{bad['id']}").json()["state_message"]
    )
    assert api.get(f"/deployments/{bad_dep['id']}").status_code == 200
