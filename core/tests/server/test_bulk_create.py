"""``POST /api/deployments/{id}/runs/bulk``: many runs in one request, all or none."""

from __future__ import annotations

from conftest import Api


def test_bulk_create_returns_the_ids_in_request_order(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    body = {"runs": [{"name": f"run-{i}", "parameters": {"i": i}} for i in range(5)]}
    response = api.post(f"/deployments/{dep['id']}/runs/bulk", json=body)
    assert response.status_code == 201, response.text
    ids = response.json()["ids"]
    names = [api.get(f"/flow_runs/{run_id}").json()["name"] for run_id in ids]
    assert names == [f"run-{i}" for i in range(5)]


def test_bulk_created_runs_are_scheduled_and_claimable(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    api.post(f"/deployments/{dep['id']}/runs/bulk", json={"runs": [{}, {}, {}]})
    claimed = api.post("/work_pools/pool/claim", json={"worker_name": "w", "limit": 10}).json()[
        "runs"
    ]
    assert len(claimed) == 3
    assert {c["flow_run"]["state_type"] for c in claimed} == {"PENDING"}


def test_one_bad_run_creates_none_and_is_named_by_its_index(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    body = {"runs": [{}, {"job_variables": {"stream_output": "not-a-bool"}}]}
    response = api.post(f"/deployments/{dep['id']}/runs/bulk", json=body)
    assert response.status_code == 422, response.text
    assert "runs[1].job_variables" in response.text
    listed = api.post("/flow_runs/filter", json={}).json()
    assert listed == []


def test_a_batch_is_bounded(api: Api) -> None:
    api.pool()
    dep = api.deployment()
    response = api.post(f"/deployments/{dep['id']}/runs/bulk", json={"runs": [{}] * 501})
    assert response.status_code == 422
    assert "runs" in response.text
