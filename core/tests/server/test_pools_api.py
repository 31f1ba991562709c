"""Work pool and queue API against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from conftest import Api


def test_create_pool_uses_the_type_default_template_and_a_default_queue(api: Api) -> None:
    pool = api.pool()
    assert pool["status"] == "NOT_READY"
    assert pool["base_job_template"]["job_configuration"]["command"] == "{{ command }}"
    queues = api.get("/work_pools/pool/queues").json()
    assert [(q["name"], q["priority"]) for q in queues] == [("default", 1)]


def test_duplicate_pool_is_409(api: Api) -> None:
    api.pool()
    response = api.post("/work_pools", json={"name": "pool", "type": "process"})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_template_with_undeclared_placeholder_is_422_naming_the_field(api: Api) -> None:
    template = {"job_configuration": {"image": "{{ image }}"}, "variables": {"properties": {}}}
    response = api.post(
        "/work_pools", json={"name": "p", "type": "x", "base_job_template": template}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "base_job_template.job_configuration.image",
            "message": "uses undeclared variable 'image'; add it to variables.properties or remove the placeholder",
        }
    ]
    assert api.get("/work_pools/p").status_code == 404  # nothing half-written


def test_template_is_validated_on_update_and_the_old_one_kept(api: Api) -> None:
    api.pool()
    bad = {"job_configuration": {"a": "{{ nope }}"}, "variables": {"properties": {}}}
    assert api.patch("/work_pools/pool", json={"base_job_template": bad}).status_code == 422
    kept = api.get("/work_pools/pool").json()["base_job_template"]
    assert kept["job_configuration"]["command"] == "{{ command }}"


def test_malformed_json_is_422_not_500(api: Api) -> None:
    response = api.post(
        "/work_pools", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_unknown_pool_is_404(api: Api) -> None:
    response = api.get("/work_pools/missing")
    assert response.status_code == 404
    assert response.json()["detail"] == 'Work pool "missing" not found.'


def test_bad_names_and_priority_zero_are_422_naming_the_field(api: Api) -> None:
    api.pool()
    response = api.post("/work_pools", json={"name": "a/b", "type": "process"})
    assert response.status_code == 422 and "name" in response.text
    response = api.post("/work_pools/pool/queues", json={"name": "q", "priority": 0})
    assert response.status_code == 422 and "priority" in response.text
    response = api.post("/work_pools", json={"name": "x", "type": "process", "bogus": 1})
    assert response.status_code == 422 and "bogus" in response.text


def test_default_queue_cannot_be_deleted(api: Api) -> None:
    api.pool()
    response = api.delete("/work_pools/pool/queues/default")
    assert response.status_code == 409
    assert "default queue" in response.json()["detail"]


def priorities(api: Api, pool: str = "pool") -> list[tuple[str, int]]:
    return [(q["name"], q["priority"]) for q in api.get(f"/work_pools/{pool}/queues").json()]


def test_priority_maintenance_matches_the_reference(api: Api) -> None:
    api.pool()
    for name in ("q1", "q2", "q3"):
        api.post("/work_pools/pool/queues", json={"name": name})
    assert priorities(api) == [("default", 1), ("q1", 2), ("q2", 3), ("q3", 4)]
    api.patch("/work_pools/pool/queues/q3", json={"priority": 1})
    assert priorities(api) == [("q3", 1), ("default", 2), ("q1", 3), ("q2", 4)]
    api.delete("/work_pools/pool/queues/q1")
    assert priorities(api) == [("q3", 1), ("default", 2), ("q2", 4)]
    api.post("/work_pools/pool/queues", json={"name": "gap", "priority": 7})
    api.post("/work_pools/pool/queues", json={"name": "auto"})
    assert priorities(api) == [("q3", 1), ("default", 2), ("auto", 3), ("q2", 4), ("gap", 7)]


def test_fresh_pool_high_mid_low(api: Api) -> None:
    api.pool()
    api.post("/work_pools/pool/queues", json={"name": "high", "priority": 1})
    api.post("/work_pools/pool/queues", json={"name": "mid"})
    api.post("/work_pools/pool/queues", json={"name": "low", "priority": 10})
    assert priorities(api) == [("high", 1), ("default", 2), ("mid", 3), ("low", 10)]


def test_pool_status_paused_ready_not_ready(api: Api) -> None:
    api.pool(is_paused=True)
    assert api.get("/work_pools/pool").json()["status"] == "PAUSED"
    api.patch("/work_pools/pool", json={"is_paused": False})
    assert api.get("/work_pools/pool").json()["status"] == "NOT_READY"
    assert (
        api.post(
            "/work_pools/pool/workers/heartbeat",
            json={"name": "w1", "heartbeat_interval_seconds": 30},
        ).status_code
        == 204
    )
    assert api.get("/work_pools/pool").json()["status"] == "READY"
    workers = api.get("/work_pools/pool/workers").json()
    assert [(w["name"], w["status"]) for w in workers] == [("w1", "ONLINE")]


def test_worker_goes_offline_after_three_missed_heartbeats(api: Api) -> None:
    import time

    api.pool()
    api.post(
        "/work_pools/pool/workers/heartbeat", json={"name": "w1", "heartbeat_interval_seconds": 0.2}
    )
    time.sleep(0.8)
    assert api.get("/work_pools/pool/workers").json()[0]["status"] == "OFFLINE"
    assert api.get("/work_pools/pool").json()["status"] == "NOT_READY"


def test_pool_with_deployments_cannot_be_deleted(api: Api) -> None:
    api.pool()
    api.deployment()
    response = api.delete("/work_pools/pool")
    assert response.status_code == 409
    assert "deployment" in response.json()["detail"]


def test_deployment_job_variables_are_validated(api: Api) -> None:
    api.pool()
    response = api.post(
        "/deployments",
        json={
            "flow_name": "f",
            "name": "d",
            "work_pool_name": "pool",
            "job_variables": {"stream_output": "yes", "env": {"A": 1}},
        },
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [
        "job_variables.env.A",
        "job_variables.stream_output",
    ]


def test_deployment_to_unknown_pool_is_404(api: Api) -> None:
    response = api.post(
        "/deployments", json={"flow_name": "f", "name": "d", "work_pool_name": "nope"}
    )
    assert response.status_code == 404


def test_flow_run_job_variables_validated_with_required(api: Api) -> None:
    template = {
        "job_configuration": {"image": "{{ image }}"},
        "variables": {
            "type": "object",
            "required": ["image"],
            "properties": {"image": {"type": "string"}},
        },
    }
    api.pool(base_job_template=template, type="custom")
    dep = api.deployment()
    response = api.post(f"/deployments/{dep['id']}/runs", json={})
    assert response.status_code == 422
    assert "'image' is a required property" in response.json()["detail"]
    assert (
        api.post(
            f"/deployments/{dep['id']}/runs", json={"job_variables": {"image": "x"}}
        ).status_code
        == 201
    )
