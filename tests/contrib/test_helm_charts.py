"""The Helm charts, rendered by Helm's own engine (helm-python-sdk binds Helm v4's Go SDK) and
validated against the Kubernetes schemas of the official client's models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
from contrib_images import ROOT
from k8s_schema import documents, validate

SERVER_CHART = ROOT / "contrib" / "helm" / "flowyard-server"
WORKER_CHART = ROOT / "contrib" / "helm" / "flowyard-worker"
POSTGRES = {"database": {"existingSecret": "flowyard-db"}}
WORKER = {
    "worker": {
        "config": {"workPool": "k8s", "workQueues": ["high", "low"], "limit": 4},
        "apiConfig": {
            "url": "http://flowyard-server.flowyard.svc.cluster.local:4200/api",
            "existingSecret": "flowyard-worker-key",
        },
    }
}


def render(
    chart: Path, values: dict[str, Any], namespace: str = "flowyard"
) -> list[dict[str, Any]]:
    """``helm template fy <chart> -n <namespace> --values <values>``, as parsed documents."""
    with helm.Chart.load(str(chart)) as loaded:
        return documents(loaded.render(values, name="fy", namespace=namespace))


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """The documents of one kind."""
    return [d for d in docs if d["kind"] == kind]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    """A container's environment: name -> value or valueFrom."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize(
    ("chart", "values"),
    [
        (SERVER_CHART, POSTGRES),
        (SERVER_CHART, {"database": {"url": "postgresql+psycopg://u:p@db:5432/flowyard"}}),
        (SERVER_CHART, {"database": {"sqlite": {"enabled": True}}}),
        (SERVER_CHART, {**POSTGRES, "ingress": {"enabled": True, "className": "nginx"}}),
        (WORKER_CHART, WORKER),
        (
            WORKER_CHART,
            {**WORKER, "baseJobTemplate": {"configuration": '{"job_configuration": {}}'}},
        ),
        (WORKER_CHART, {**WORKER, "baseJobTemplate": {"existingConfigMapName": "templates"}}),
    ],
    ids=[
        "server-secret",
        "server-url",
        "server-sqlite",
        "server-ingress",
        "worker",
        "worker-template",
        "worker-configmap",
    ],
)
def test_every_rendered_manifest_matches_the_kubernetes_schema(
    chart: Path, values: dict[str, Any]
) -> None:
    docs = render(chart, values)
    assert docs
    for document in docs:
        validate(document)


@pytest.mark.parametrize("chart", [SERVER_CHART, WORKER_CHART], ids=["server", "worker"])
def test_helm_lint_passes(chart: Path) -> None:
    values = POSTGRES if chart == SERVER_CHART else WORKER
    result = helm.lint(str(chart), values, strict=True)
    assert result["total_charts_linted"] == 1
    assert result["errors"] == []
    assert not [m for m in result["messages"] if m["severity"] >= 2], result  # 2: warning


def test_schema_validation_rejects_a_misplaced_field() -> None:
    with pytest.raises(AssertionError, match="outside the schema"):
        validate(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "x"},
                "spec": {"prots": []},
            }
        )


def test_server_probes_split_liveness_from_readiness() -> None:
    (deployment,) = by_kind(render(SERVER_CHART, POSTGRES), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/api/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/ready"


def test_server_takes_the_database_url_from_a_secret_and_migrates_in_a_hook_job() -> None:
    docs = render(SERVER_CHART, POSTGRES)
    (deployment,) = by_kind(docs, "Deployment")
    env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env["FLOWYARD_DATABASE_URL"] == {
        "secretKeyRef": {"name": "flowyard-db", "key": "database-url"}
    }
    assert env["FLOWYARD_SERVER_MIGRATE_ON_START"] == "false"
    assert env["FLOWYARD_SERVER_AUTH"] == "true"
    assert deployment["spec"]["replicas"] == 2
    (job,) = by_kind(docs, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["server", "migrate"]
    assert (
        env_of(job["spec"]["template"]["spec"]["containers"][0])["FLOWYARD_DATABASE_URL"]
        == (env["FLOWYARD_DATABASE_URL"])
    )


def test_server_runs_non_root_on_a_read_only_root_filesystem() -> None:
    (deployment,) = by_kind(render(SERVER_CHART, POSTGRES), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_server_on_sqlite_is_forced_to_one_replica_migrating_on_start() -> None:
    docs = render(SERVER_CHART, {"replicaCount": 3, "database": {"sqlite": {"enabled": True}}})
    (deployment,) = by_kind(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    env = env_of(deployment["spec"]["template"]["spec"]["containers"][0])
    assert env["FLOWYARD_SERVER_MIGRATE_ON_START"] == "true"
    assert not by_kind(docs, "Job")
    assert by_kind(docs, "PersistentVolumeClaim")


def test_server_without_a_database_fails_naming_the_values_to_set() -> None:
    with pytest.raises(helm.HelmRenderError, match=r"database\.existingSecret"):
        render(SERVER_CHART, {})


def test_worker_command_carries_pool_type_queues_and_limit() -> None:
    (deployment,) = by_kind(render(WORKER_CHART, WORKER), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[:4] == ["worker", "start", "--pool", "k8s"]
    assert args[args.index("--type") + 1] == "kubernetes"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--work-queue"] == ["high", "low"]
    assert args[args.index("--limit") + 1] == "4"
    assert env_of(container)["FLOWYARD_API_KEY"] == {
        "secretKeyRef": {"name": "flowyard-worker-key", "key": "api-key"}
    }


def test_worker_base_job_template_comes_from_the_values_file_and_is_synced_by_an_init_container(
    tmp_path: Path,
) -> None:
    template = {"job_configuration": {"namespace": "jobs"}, "variables": {"properties": {}}}
    (tmp_path / "template.json").write_text(json.dumps(template))
    values = {
        **WORKER,
        "baseJobTemplate": {"configuration": (tmp_path / "template.json").read_text()},
    }
    docs = render(WORKER_CHART, values)
    (config_map,) = by_kind(docs, "ConfigMap")
    assert json.loads(config_map["data"]["baseJobTemplate.json"]) == template
    (deployment,) = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (init,) = pod["initContainers"]
    assert "work-pool update" in init["args"][0] and "work-pool create" in init["args"][0]
    assert env_of(init)["FLOWYARD_POOL"] == "k8s"
    checksum = deployment["spec"]["template"]["metadata"]["annotations"][
        "checksum/base-job-template"
    ]
    changed = {**values, "baseJobTemplate": {"configuration": json.dumps({"variables": {}})}}
    (rolled,) = by_kind(render(WORKER_CHART, changed), "Deployment")
    assert (
        rolled["spec"]["template"]["metadata"]["annotations"]["checksum/base-job-template"]
        != checksum
    )


def test_worker_rejects_a_base_job_template_that_is_not_json() -> None:
    with pytest.raises(
        helm.HelmRenderError, match=r"baseJobTemplate\.configuration is not valid JSON"
    ):
        render(WORKER_CHART, {**WORKER, "baseJobTemplate": {"configuration": "{nope"}})


def test_kubernetes_worker_gets_a_role_to_manage_jobs_in_the_job_namespace() -> None:
    docs = render(WORKER_CHART, {**WORKER, "rbac": {"jobNamespace": "jobs"}})
    (role,) = by_kind(docs, "Role")
    (binding,) = by_kind(docs, "RoleBinding")
    assert role["metadata"]["namespace"] == "jobs"
    jobs_rule = next(r for r in role["rules"] if r["apiGroups"] == ["batch"])
    assert {"create", "delete", "watch"} <= set(jobs_rule["verbs"])
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "fy-flowyard-worker", "namespace": "flowyard"}
    ]


def test_process_worker_gets_no_kubernetes_permissions() -> None:
    values = {"worker": {**WORKER["worker"], "config": {"workPool": "local", "type": "process"}}}
    assert not by_kind(render(WORKER_CHART, values), "Role")


def test_worker_without_a_pool_fails_naming_the_value() -> None:
    with pytest.raises(helm.HelmRenderError, match=r"worker\.config\.workPool is required"):
        render(WORKER_CHART, {"worker": {"apiConfig": WORKER["worker"]["apiConfig"]}})


def test_values_of_the_wrong_type_are_refused_naming_the_field() -> None:
    bad = {"worker": {**WORKER["worker"], "config": {"workPool": "k8s", "limit": "many"}}}
    with pytest.raises(helm.HelmValuesError, match="/worker/config/limit"):
        render(WORKER_CHART, bad)
    with pytest.raises(helm.HelmValuesError, match="/replicaCount"):
        render(SERVER_CHART, {**POSTGRES, "replicaCount": "two"})
