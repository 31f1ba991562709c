"""Bad input answers 4xx naming the field, on both databases, and the server stays healthy.

Each row is one reproduction from issue 19: (what, method, path, body or params, the field named).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Api

DEEP: dict[str, Any] = {}
_node = DEEP
for _ in range(260):
    _node["a"] = {}
    _node = _node["a"]

RUN = "{run}"  # replaced by a real run id
BIG = 2**63
I32 = 2**31
NAIVE = "2030-01-01T00:00:00"
OVERFLOW = "9999-12-31T23:59:59-05:00"


def _dep(**extra: Any) -> dict[str, Any]:
    return {"flow_name": "flow", "name": "bad", "work_pool_name": "pool", **extra}


def _hostile(expression: str) -> dict[str, Any]:
    return {
        "name": "hostile",
        "type": "process",
        "base_job_template": {
            "job_configuration": {"command": "{{ " + expression + " }}"},
            "variables": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
    }


CASES: list[tuple[str, str, str, Any, str]] = [
    # templates reaching for internals are refused when stored, naming the placeholder
    ("template __class__", "post", "/work_pools", _hostile("''.__class__"), "__class__"),
    ("template ['__class__']", "post", "/work_pools", _hostile("x['__class__']"), "__class__"),
    ("template |attr", "post", "/work_pools", _hostile("x|attr('__class__')"), "attr"),
    # numbers beyond their columns or not finite
    (
        "heartbeat 1e300",
        "post",
        "/work_pools/pool/workers/heartbeat",
        {"name": "w", "heartbeat_interval_seconds": 1e300},
        "heartbeat_interval_seconds",
    ),
    (
        "run_limit 2**63",
        "post",
        "/work_pools/pool/workers/heartbeat",
        {"name": "w", "run_limit": BIG},
        "run_limit",
    ),
    (
        "log level 2**63",
        "post",
        "/logs",
        [{"flow_run_id": RUN, "level": BIG, "message": "x"}],
        "level",
    ),
    ("logs after 2**63", "get", f"/flow_runs/{RUN}/logs", {"after": BIG}, "after"),
    ("logs limit 2**63", "get", f"/flow_runs/{RUN}/logs", {"limit": BIG}, "limit"),
    ("logs limit -1", "get", f"/flow_runs/{RUN}/logs", {"limit": -1}, "limit"),
    ("filter offset 2**63", "post", "/flow_runs/filter", {"offset": BIG}, "offset"),
    ("filter limit -1", "post", "/flow_runs/filter", {"limit": -1}, "limit"),
    (
        "queue priority 2**63",
        "post",
        "/work_pools/pool/queues",
        {"name": "q", "priority": BIG},
        "priority",
    ),
    (
        "queue priority 2**31",
        "post",
        "/work_pools/pool/queues",
        {"name": "q", "priority": I32},
        "priority",
    ),
    (
        "pool limit 2**31",
        "patch",
        "/work_pools/pool",
        {"concurrency_limit": I32},
        "concurrency_limit",
    ),
    ("preview hours 1e300", "get", "/work_pools/pool/preview", {"hours": "1e300"}, "hours"),
    ("preview hours nan", "get", "/work_pools/pool/preview", {"hours": "nan"}, "hours"),
    # deep or huge JSON
    ("256-deep parameters", "post", "/deployments/{dep}/runs", {"parameters": DEEP}, "parameters"),
    (
        "260-deep template",
        "patch",
        "/work_pools/pool",
        {"base_job_template": DEEP},
        "base_job_template",
    ),
    ("260-deep job variables", "post", "/deployments", _dep(job_variables=DEEP), "job_variables"),
    ("70,000 ids in a filter", "post", "/flow_runs/filter", {"ids": ["x"] * 70_000}, "ids"),
    (
        "200,000 job-variable keys",
        "post",
        "/deployments",
        _dep(job_variables={f"k{i}": 0 for i in range(200_000)}),
        "100000 values",
    ),
    # negative limits (PostgreSQL refused LIMIT -1 with a 500)
    ("logs limit -1", "get", f"/flow_runs/{RUN}/logs", {"limit": -1}, "limit"),
    ("filter limit -1", "post", "/flow_runs/filter", {"limit": -1}, "limit"),
    ("pool name 300 chars", "post", "/work_pools", {"name": "p" * 300, "type": "process"}, "name"),
    # names and strings
    ("queue name empty", "post", "/deployments", _dep(work_queue_name=""), "work_queue_name"),
    ("queue name a/b", "post", "/deployments", _dep(work_queue_name="a/b"), "work_queue_name"),
    (
        "queue name 300 chars",
        "post",
        "/deployments/{dep}/runs",
        {"work_queue_name": "q" * 300},
        "work_queue_name",
    ),
    (
        "lone surrogate in a name",
        "post",
        "/work_pools",
        b'{"name": "a\\ud800", "type": "process"}',
        "NUL or lone surrogate",
    ),
    (
        "NUL in a description",
        "post",
        "/work_pools",
        {"name": "nul", "type": "process", "description": "a\x00b"},
        "NUL or lone surrogate",
    ),
    (
        "entrypoint longer than its column",
        "post",
        "/deployments",
        _dep(entrypoint="e" * 600),
        "entrypoint",
    ),
    (
        "idempotency key longer than its column",
        "post",
        "/deployments/{dep}/runs",
        {"idempotency_key": "k" * 600},
        "idempotency_key",
    ),
    (
        "infrastructure id longer than its column",
        "patch",
        f"/flow_runs/{RUN}",
        {"infrastructure_id": "i" * 600},
        "infrastructure_id",
    ),
    # datetimes
    (
        "naive scheduled_time",
        "post",
        "/deployments/{dep}/runs",
        {"scheduled_time": NAIVE},
        "scheduled_time",
    ),
    (
        "naive log timestamp",
        "post",
        "/logs",
        [{"flow_run_id": RUN, "message": "x", "timestamp": NAIVE}],
        "timestamp",
    ),
    (
        "year 9999 with an offset",
        "post",
        "/deployments/{dep}/runs",
        {"scheduled_time": OVERFLOW},
        "scheduled_time",
    ),
    # schedules
    ("interval 1e20", "post", "/deployments", _dep(schedules=[{"interval": 1e20}]), "interval"),
    ("interval 1e-9", "post", "/deployments", _dep(schedules=[{"interval": 1e-9}]), "interval"),
    (
        "naive anchor_date",
        "post",
        "/deployments",
        _dep(schedules=[{"interval": 60, "anchor_date": NAIVE}]),
        "anchor_date",
    ),
    ("cron 31 February", "post", "/deployments", _dep(schedules=[{"cron": "0 0 31 2 *"}]), "cron"),
    (
        "rrule without an occurrence",
        "post",
        "/deployments",
        _dep(schedules=[{"rrule": "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30"}]),
        "rrule",
    ),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.replace(RUN, ids["run"]).replace("{dep}", ids["dep"])
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict) and value is not DEEP:
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.fixture
def ids(api: Api) -> dict[str, str]:
    api.pool()
    dep = api.deployment()
    return {"dep": dep["id"], "run": api.run(dep["id"])["id"]}


@pytest.mark.parametrize(
    ("what", "method", "path", "payload", "field"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_answers_4xx_naming_the_field_and_the_server_stays_healthy(
    api: Api, ids: dict[str, str], what: str, method: str, path: str, payload: Any, field: str
) -> None:
    path = _fill(path, ids)
    payload = _fill(payload, ids)
    if method == "get":
        response = api.get(path, params=payload)
    elif isinstance(payload, bytes):  # JSON text httpx would not encode (a lone surrogate)
        response = getattr(api, method)(
            path, content=payload, headers={"content-type": "application/json"}
        )
    else:
        response = getattr(api, method)(path, json=payload)
    assert 400 <= response.status_code < 500, (what, response.status_code, response.text[:500])
    assert field in response.text, (what, response.text[:500])
    for read in ("/health", "/work_pools", "/work_pools/pool", "/deployments"):
        assert api.get(read).status_code == 200, read
    assert api.post("/work_pools/pool/claim", json={"worker_name": "w"}).status_code == 200


def test_a_body_over_the_limit_answers_413(api: Api) -> None:
    response = api.post("/work_pools", content=b"x" * (5 * 1024 * 1024))
    assert response.status_code == 413
    assert "FLOWYARD_SERVER_MAX_BODY_BYTES" in response.text


def test_nul_in_a_url_answers_422_naming_the_path(api: Api) -> None:
    response = api.get("/work_pools/a%00b")
    assert response.status_code == 422
    assert "path" in response.text
