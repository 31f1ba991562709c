"""An engine that knows where it runs reports its infrastructure id with RUNNING (no PATCH)."""

from __future__ import annotations

from typing import Any

from conftest import Api


def _claimed(api: Api) -> dict[str, Any]:
    api.pool()
    api.run(api.deployment()["id"])
    [claimed] = api.post("/work_pools/pool/claim", json={"worker_name": "w"}).json()["runs"]
    return dict(claimed)


def test_an_accepted_running_proposal_records_the_infrastructure_id_it_names(api: Api) -> None:
    claimed = _claimed(api)
    run_id = claimed["flow_run"]["id"]
    answer = api.post(
        f"/flow_runs/{run_id}/state",
        json={"type": "RUNNING", "claim_id": claimed["claim_id"], "infrastructure_id": "h:42"},
    ).json()
    assert answer["status"] == "ACCEPT"
    assert api.get(f"/flow_runs/{run_id}").json()["infrastructure_id"] == "h:42"


def test_a_refused_running_proposal_records_nothing(api: Api) -> None:
    claimed = _claimed(api)
    run_id = claimed["flow_run"]["id"]
    answer = api.post(
        f"/flow_runs/{run_id}/state",
        json={"type": "RUNNING", "claim_id": "not-the-claim", "infrastructure_id": "h:42"},
    ).json()
    assert answer["status"] != "ACCEPT"
    assert api.get(f"/flow_runs/{run_id}").json()["infrastructure_id"] is None


def test_an_infrastructure_id_beyond_its_column_is_refused_naming_the_field(api: Api) -> None:
    claimed = _claimed(api)
    answer = api.post(
        f"/flow_runs/{claimed['flow_run']['id']}/state",
        json={"type": "RUNNING", "claim_id": claimed["claim_id"], "infrastructure_id": "x" * 501},
    )
    assert answer.status_code == 422
    assert "infrastructure_id" in answer.text
