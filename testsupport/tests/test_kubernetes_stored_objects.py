"""The emulator's stored-only kinds (ConfigMap, ServiceAccount, Deployment, Role, RoleBinding)
through the official ``kubernetes`` client: create, read, list, delete and their errors."""

from __future__ import annotations

import json

import pytest
from flowyard_fakes.kubernetes import KubernetesEmulator
from kubernetes import client
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.docker  # the emulator's container runner talks to the Docker engine


@pytest.fixture
def apps(api_client: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api_client)


@pytest.fixture
def rbac(api_client: client.ApiClient) -> client.RbacAuthorizationV1Api:
    return client.RbacAuthorizationV1Api(api_client)


def deployment(name: str) -> dict[str, object]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "main", "image": "busybox", "args": ["x"]}]},
            },
        },
    }


def status_of(error: ApiException) -> dict[str, object]:
    body: dict[str, object] = json.loads(error.body)
    return body


def test_a_config_map_is_stored_with_server_metadata(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map(
        "default", {"metadata": {"name": "cm-meta"}, "data": {"a": "1"}}
    )
    assert created.metadata.uid
    assert int(created.metadata.resource_version) > 0
    assert created.metadata.creation_timestamp is not None
    read = core.read_namespaced_config_map("cm-meta", "default")
    assert read.data == {"a": "1"}
    assert read.metadata.uid == created.metadata.uid


def test_a_deployment_is_stored_but_starts_no_pods(
    apps: client.AppsV1Api, emulator: KubernetesEmulator
) -> None:
    apps.create_namespaced_deployment("default", deployment("web"))
    read = apps.read_namespaced_deployment("web", "default")
    assert read.spec.replicas == 2
    assert read.spec.template.spec.containers[0].args == ["x"]
    assert (read.kind, read.api_version) == ("Deployment", "apps/v1")
    assert emulator.pods() == []


def test_listing_returns_the_kinds_objects_of_the_namespace(
    core: client.CoreV1Api, emulator: KubernetesEmulator
) -> None:
    emulator.add_namespace("other")
    core.create_namespaced_service_account("default", {"metadata": {"name": "sa-list"}})
    core.create_namespaced_service_account("other", {"metadata": {"name": "sa-other"}})
    names = [sa.metadata.name for sa in core.list_namespaced_service_account("default").items]
    assert names == ["sa-list"]
    everywhere = core.list_service_account_for_all_namespaces().items
    assert {sa.metadata.name for sa in everywhere} == {"sa-list", "sa-other"}


def test_a_second_create_with_the_same_name_is_409_already_exists(
    rbac: client.RbacAuthorizationV1Api,
) -> None:
    role = {"metadata": {"name": "twice"}, "rules": [{"apiGroups": [""], "verbs": ["get"]}]}
    rbac.create_namespaced_role("default", role)
    with pytest.raises(ApiException) as failure:
        rbac.create_namespaced_role("default", role)
    assert failure.value.status == 409
    status = status_of(failure.value)
    assert (status["kind"], status["reason"]) == ("Status", "AlreadyExists")
    assert status["message"] == 'roles.rbac.authorization.k8s.io "twice" already exists'


def test_reading_a_missing_object_is_404_not_found(rbac: client.RbacAuthorizationV1Api) -> None:
    with pytest.raises(ApiException) as failure:
        rbac.read_namespaced_role_binding("nobody", "default")
    assert failure.value.status == 404
    status = status_of(failure.value)
    assert status["reason"] == "NotFound"
    assert status["details"] == {
        "name": "nobody",
        "kind": "rolebindings",
        "group": "rbac.authorization.k8s.io",
    }


def test_deleting_removes_the_object(rbac: client.RbacAuthorizationV1Api) -> None:
    binding = {
        "metadata": {"name": "gone"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}],
    }
    rbac.create_namespaced_role_binding("default", binding)
    status = rbac.delete_namespaced_role_binding("gone", "default")
    assert status.status == "Success"
    with pytest.raises(ApiException) as failure:
        rbac.delete_namespaced_role_binding("gone", "default")
    assert failure.value.status == 404


def test_a_body_the_model_refuses_is_422_naming_the_field(
    rbac: client.RbacAuthorizationV1Api,
) -> None:
    with pytest.raises(ApiException) as failure:
        rbac.create_namespaced_role_binding("default", {"metadata": {"name": "no-role-ref"}})
    assert failure.value.status == 422
    status = status_of(failure.value)
    assert status["reason"] == "Invalid"
    assert "role_ref" in str(status["message"])
    with pytest.raises(ApiException) as missing:
        rbac.read_namespaced_role_binding("no-role-ref", "default")
    assert missing.value.status == 404


def test_creating_in_a_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as failure:
        core.create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}})
    assert failure.value.status == 404
    assert status_of(failure.value)["message"] == 'namespaces "nowhere" not found'
