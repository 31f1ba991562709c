"""``POST /flow_runs/filter`` by ``worker_name``: the runs whose claim a worker of that name holds
(what a restarted worker looks for to re-attach)."""

from __future__ import annotations

from conftest import Api


def _claim(api: Api, worker: str) -> str:
    response = api.post("/work_pools/pool/claim", json={"worker_name": worker, "limit": 1})
    assert response.status_code == 200, response.text
    [claimed] = response.json()["runs"]
    return str(claimed["flow_run"]["id"])


def test_runs_can_be_filtered_by_the_worker_holding_their_claim(api: Api) -> None:
    api.pool()
    deployment = api.deployment()
    for _ in range(3):
        api.run(deployment["id"])
    mine = _claim(api, "worker-a")
    _claim(api, "worker-b")

    response = api.post(
        "/flow_runs/filter",
        json={"work_pool_name": "pool", "worker_name": "worker-a", "state_types": ["PENDING"]},
    )

    assert response.status_code == 200, response.text
    assert [run["id"] for run in response.json()] == [mine]


def test_a_run_handed_back_is_no_longer_found_under_its_former_worker(api: Api) -> None:
    api.pool()
    api.run(api.deployment()["id"])
    run_id = _claim(api, "worker-a")
    run = api.get(f"/flow_runs/{run_id}").json()
    handed_back = api.post(
        f"/flow_runs/{run_id}/state", json={"type": "SCHEDULED", "claim_id": run["claim_id"]}
    )
    assert handed_back.json()["status"] == "ACCEPT", handed_back.text

    response = api.post("/flow_runs/filter", json={"worker_name": "worker-a"})

    assert response.json() == []
