"""The worker chart's manifests applied through the official client to the Kubernetes emulator
(``flowyard_fakes.kubernetes``), and read back from it.

The emulator stores ConfigMaps, ServiceAccounts, Deployments, Roles and RoleBindings without acting
on them: this checks that every rendered manifest is accepted by the API (the client's models and
the API paths), not that the Deployment's pods run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from flowyard_fakes.kubernetes import KubernetesEmulator
from kubernetes import client, utils
from test_helm_charts import WORKER, WORKER_CHART, by_kind, render

pytestmark = pytest.mark.docker  # the emulator's container runner talks to the Docker engine

NAMESPACE = "flowyard"
TEMPLATE = {"job_configuration": {"namespace": NAMESPACE}, "variables": {"properties": {}}}
VALUES = {
    **WORKER,
    "baseJobTemplate": {"configuration": json.dumps(TEMPLATE)},
    "rbac": {"create": True},
}


@pytest.fixture(scope="module")
def api_client() -> Iterator[client.ApiClient]:
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    with KubernetesEmulator() as emulator:
        emulator.add_namespace(NAMESPACE)
        configuration = client.Configuration(host=emulator.url)
        configuration.api_key = {"authorization": f"Bearer {emulator.token}"}
        with client.ApiClient(configuration) as api:
            yield api


@pytest.fixture(scope="module")
def applied(api_client: client.ApiClient) -> list[dict[str, Any]]:
    """Every manifest of the worker chart (kubernetes type, RBAC on), applied to the emulator."""
    docs = render(WORKER_CHART, VALUES, namespace=NAMESPACE)
    client.CoreV1Api(api_client).create_namespaced_secret(
        NAMESPACE,
        {"metadata": {"name": "flowyard-worker-key"}, "stringData": {"api-key": "fy_key"}},
    )
    for document in docs:
        utils.create_from_dict(api_client, document, namespace=NAMESPACE)
    return docs


def test_the_worker_chart_renders_every_kind_the_emulator_must_accept(
    applied: list[dict[str, Any]],
) -> None:
    assert sorted(d["kind"] for d in applied) == [
        "ConfigMap",
        "Deployment",
        "Role",
        "RoleBinding",
        "ServiceAccount",
    ]


def test_every_applied_manifest_reads_back_with_server_metadata(
    api_client: client.ApiClient, applied: list[dict[str, Any]]
) -> None:
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    readers = {
        "ConfigMap": core.read_namespaced_config_map,
        "ServiceAccount": core.read_namespaced_service_account,
        "Deployment": apps.read_namespaced_deployment,
        "Role": rbac.read_namespaced_role,
        "RoleBinding": rbac.read_namespaced_role_binding,
    }
    for document in applied:
        stored = readers[document["kind"]](document["metadata"]["name"], NAMESPACE)
        assert stored.metadata.namespace == NAMESPACE
        assert stored.metadata.labels == document["metadata"]["labels"]
        assert stored.metadata.uid
        assert stored.metadata.resource_version
        assert stored.metadata.creation_timestamp is not None


def test_the_role_lets_the_worker_manage_jobs_and_read_pods(
    api_client: client.ApiClient, applied: list[dict[str, Any]]
) -> None:
    (role,) = by_kind(applied, "Role")
    stored = client.RbacAuthorizationV1Api(api_client).read_namespaced_role(
        role["metadata"]["name"], NAMESPACE
    )
    rules = {tuple(rule.api_groups): rule for rule in stored.rules}
    assert {"create", "delete", "watch", "get", "list"} <= set(rules[("batch",)].verbs)
    assert rules[("batch",)].resources == ["jobs"]
    assert {"pods", "pods/log", "events"} <= set(rules[("",)].resources)


def test_the_role_binding_binds_the_role_to_the_charts_service_account(
    api_client: client.ApiClient, applied: list[dict[str, Any]]
) -> None:
    (binding,) = by_kind(applied, "RoleBinding")
    (account,) = by_kind(applied, "ServiceAccount")
    (role,) = by_kind(applied, "Role")
    stored = client.RbacAuthorizationV1Api(api_client).read_namespaced_role_binding(
        binding["metadata"]["name"], NAMESPACE
    )
    assert (stored.role_ref.kind, stored.role_ref.name) == ("Role", role["metadata"]["name"])
    (subject,) = stored.subjects
    assert (subject.kind, subject.name, subject.namespace) == (
        "ServiceAccount",
        account["metadata"]["name"],
        NAMESPACE,
    )
    client.CoreV1Api(api_client).read_namespaced_service_account(subject.name, NAMESPACE)


def test_the_deployment_runs_the_worker_with_the_api_key_from_the_secret(
    api_client: client.ApiClient, applied: list[dict[str, Any]]
) -> None:
    (deployment,) = by_kind(applied, "Deployment")
    (account,) = by_kind(applied, "ServiceAccount")
    stored = client.AppsV1Api(api_client).read_namespaced_deployment(
        deployment["metadata"]["name"], NAMESPACE
    )
    pod = stored.spec.template.spec
    assert pod.service_account_name == account["metadata"]["name"]
    (container,) = pod.containers
    assert container.image == "flowyard-worker:latest"
    args = container.args
    assert args[:2] == ["worker", "start"]
    assert args[args.index("--pool") + 1] == "k8s"
    assert args[args.index("--type") + 1] == "kubernetes"
    env = {e.name: e for e in container.env}
    key = env["FLOWYARD_API_KEY"].value_from.secret_key_ref
    assert (key.name, key.key) == ("flowyard-worker-key", "api-key")
    assert env["FLOWYARD_API_URL"].value == WORKER["worker"]["apiConfig"]["url"]


def test_the_base_job_template_config_map_holds_the_values_files_template(
    api_client: client.ApiClient, applied: list[dict[str, Any]]
) -> None:
    (config_map,) = by_kind(applied, "ConfigMap")
    stored = client.CoreV1Api(api_client).read_namespaced_config_map(
        config_map["metadata"]["name"], NAMESPACE
    )
    assert [json.loads(value) for value in stored.data.values()] == [TEMPLATE]


def test_applying_the_chart_twice_is_refused_as_already_existing(
    api_client: client.ApiClient, applied: list[dict[str, Any]]
) -> None:
    (deployment,) = by_kind(applied, "Deployment")
    with pytest.raises(utils.FailToCreateError) as failure:
        utils.create_from_dict(api_client, deployment, namespace=NAMESPACE)
    (error,) = failure.value.api_exceptions
    assert error.status == 409
    assert json.loads(error.body)["reason"] == "AlreadyExists"
