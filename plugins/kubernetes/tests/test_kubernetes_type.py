"""The kubernetes type without a cluster: template, rendering to a Job manifest, configuration errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from flowyard.errors import InfrastructureNotAvailable
from flowyard.job import base_job_template
from flowyard.templating import find_placeholders, validate_base_job_template
from flowyard_kubernetes import worker
from flowyard_kubernetes.connection import api_client
from flowyard_kubernetes.jobs import parse_id
from flowyard_kubernetes.variables import ClusterConfig, KubernetesVariables
from kube_env import configuration, flow_run

PREFECT_TEMPLATE: dict[str, Any] = {
    # written from the documented shape of Prefect's kubernetes worker template
    "job_configuration": {
        "command": "{{ command }}",
        "env": "{{ env }}",
        "labels": "{{ labels }}",
        "name": "{{ name }}",
        "namespace": "{{ namespace }}",
        "job_manifest": {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "labels": "{{ labels }}",
                "namespace": "{{ namespace }}",
                "generateName": "{{ name }}-",
            },
            "spec": {
                "backoffLimit": "{{ backoff_limit }}",
                "ttlSecondsAfterFinished": "{{ finished_job_ttl }}",
                "template": {
                    "spec": {
                        "parallelism": 1,
                        "completions": 1,
                        "restartPolicy": "Never",
                        "serviceAccountName": "{{ service_account_name }}",
                        "containers": [
                            {
                                "name": "prefect-job",
                                "env": "{{ env }}",
                                "image": "{{ image }}",
                                "imagePullPolicy": "{{ image_pull_policy }}",
                                "args": "{{ command }}",
                            }
                        ],
                    }
                },
            },
        },
        "cluster_config": "{{ cluster_config }}",
        "job_watch_timeout_seconds": "{{ job_watch_timeout_seconds }}",
        "pod_watch_timeout_seconds": "{{ pod_watch_timeout_seconds }}",
        "stream_output": "{{ stream_output }}",
    },
    "variables": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "title": "Name"},
            "namespace": {"type": "string", "title": "Namespace", "default": "default"},
            "image": {"type": "string", "title": "Image"},
            "service_account_name": {"type": "string", "title": "Service Account Name"},
            "image_pull_policy": {
                "type": "string",
                "title": "Image Pull Policy",
                "enum": ["IfNotPresent", "Always", "Never"],
                "default": "IfNotPresent",
            },
            "backoff_limit": {"type": "integer", "title": "Backoff Limit", "default": 0},
            "finished_job_ttl": {"type": "integer", "title": "Finished Job TTL"},
            "job_watch_timeout_seconds": {"type": "integer", "title": "Job Watch Timeout"},
            "pod_watch_timeout_seconds": {
                "type": "integer",
                "title": "Pod Watch Timeout",
                "default": 60,
            },
            "stream_output": {"type": "boolean", "title": "Stream Output", "default": True},
            "cluster_config": {"type": "object", "title": "Cluster Config"},
            "env": {"type": "object", "title": "Environment Variables"},
            "labels": {"type": "object", "title": "Labels"},
            "command": {"type": "string", "title": "Command"},
        },
    },
}


def manifest(config: dict[str, Any], **run: Any) -> dict[str, Any]:
    info = flow_run(**run)
    return worker.render(config, info).manifest(info)


def container_env(job: dict[str, Any]) -> dict[str, Any]:
    env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in env}


def test_the_default_template_is_valid_and_holds_a_full_job_manifest() -> None:
    template = base_job_template(KubernetesVariables)

    validate_base_job_template(template)
    job = template["job_configuration"]["job_manifest"]
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    names = {p.name for p in find_placeholders(template["job_configuration"])}
    assert {"image", "namespace", "memory_limit", "backoff_limit", "finished_job_ttl"} <= names


def test_the_variables_cover_the_kubernetes_settings_users_expect() -> None:
    properties = base_job_template(KubernetesVariables)["variables"]["properties"]

    for name in (
        "image",
        "namespace",
        "service_account_name",
        "image_pull_policy",
        "finished_job_ttl",
        "job_watch_timeout_seconds",
        "pod_watch_timeout_seconds",
        "stream_output",
        "cluster_config",
        "cpu_request",
        "cpu_limit",
        "memory_request",
        "memory_limit",
        "env",
        "labels",
        "name",
        "command",
        "backoff_limit",
    ):
        assert properties[name]["title"] and properties[name]["description"], name
    assert properties["image_pull_policy"]["enum"] == ["IfNotPresent", "Always", "Never"]


def test_the_job_is_named_from_the_flow_run_and_labelled_flowyard_io() -> None:
    job = manifest(configuration(), name="Brave Otter!")

    assert job["metadata"]["generateName"] == "brave-otter-"
    labels = job["metadata"]["labels"]
    assert labels["flowyard.io/flow-name"] == "tutorial"
    assert "flowyard.io/flow-run-id" in labels
    assert job["spec"]["template"]["metadata"]["labels"] == labels


def test_flowyards_env_goes_into_the_container_and_the_engine_is_the_default_args() -> None:
    job = manifest(configuration(env={"DEBUG": "1"}))

    container = job["spec"]["template"]["spec"]["containers"][0]
    env = container_env(job)
    assert env["DEBUG"] == "1" and env["FLOWYARD_FLOW_RUN_ID"]
    assert container["args"] == ["python", "-m", "flowyard.engine"]
    assert container["image"] == "flowyard-python:3.11"


def test_resources_appear_only_when_set() -> None:
    plain = manifest(configuration())["spec"]["template"]["spec"]["containers"][0]
    limited = manifest(configuration(memory_limit="256Mi", cpu_request="500m"))
    resources = limited["spec"]["template"]["spec"]["containers"][0]["resources"]

    assert "resources" not in plain
    assert resources == {"requests": {"cpu": "500m"}, "limits": {"memory": "256Mi"}}


def test_a_command_string_becomes_the_container_args() -> None:
    job = manifest(configuration(command="python -c 'print(1)'"))

    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "python",
        "-c",
        "print(1)",
    ]


def test_backoff_limit_ttl_and_service_account_reach_the_manifest() -> None:
    job = manifest(
        configuration(backoff_limit=2, finished_job_ttl=60, service_account_name="flows")
    )

    assert job["spec"]["backoffLimit"] == 2
    assert job["spec"]["ttlSecondsAfterFinished"] == 60
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "flows"


def test_the_api_key_comes_from_a_secret_reference_not_a_literal() -> None:
    config = configuration(api_key_secret_name="flowyard-api")
    config["env"]["FLOWYARD_API_KEY"] = "fy_secret_value"

    job = manifest(config)

    env = container_env(job)
    assert env["FLOWYARD_API_KEY"] == {"secretKeyRef": {"name": "flowyard-api", "key": "value"}}
    assert "fy_secret_value" not in str(job)


def test_a_null_env_value_unsets_a_variable_the_template_hard_codes() -> None:
    template = base_job_template(KubernetesVariables)
    container = template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    container["env"] = [{"name": "TEAM", "value": "data"}, {"name": "KEEP", "value": "1"}]

    job = manifest(configuration(template, env={"TEAM": None}))

    env = container_env(job)
    assert "TEAM" not in env and env["KEEP"] == "1"


def test_a_prefect_kubernetes_template_works_unmodified() -> None:
    validate_base_job_template(copy.deepcopy(PREFECT_TEMPLATE))

    job = manifest(configuration(copy.deepcopy(PREFECT_TEMPLATE), image="my-flows:1"))

    pod_spec = job["spec"]["template"]["spec"]
    assert pod_spec["containers"][0]["name"] == "prefect-job"
    assert pod_spec["containers"][0]["image"] == "my-flows:1"
    assert "parallelism" not in pod_spec and job["spec"]["parallelism"] == 1
    assert job["metadata"]["generateName"] == "brave-otter-"
    assert container_env(job)["FLOWYARD_FLOW_RUN_ID"]


def test_a_manifest_that_is_not_a_job_is_refused_naming_the_field() -> None:
    template = base_job_template(KubernetesVariables)
    template["job_configuration"]["job_manifest"]["kind"] = "Pod"

    with pytest.raises(ValueError, match="job_manifest is not a batch/v1 Job: kind must be 'Job'"):
        manifest(configuration(template))


def test_label_values_are_slugged_to_kubernetes_rules() -> None:
    job = manifest(configuration(labels={"team": "Data Eng!", "long": "x" * 80}))

    labels = job["metadata"]["labels"]
    assert labels["team"] == "Data-Eng"
    assert len(labels["long"]) == 63


def test_without_cluster_or_kubeconfig_the_error_names_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-config"))

    with pytest.raises(InfrastructureNotAvailable) as caught:
        api_client(None)

    message = str(caught.value)
    assert "not inside a cluster" in message and "missing-config" in message
    assert "cluster_config" in message


def test_an_unknown_context_is_a_clear_error(tmp_path: Path) -> None:
    config = {
        "apiVersion": "v1",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "real", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "real",
    }

    with pytest.raises(InfrastructureNotAvailable, match="context 'nope'"):
        api_client(ClusterConfig(config=config, context="nope"))


def test_a_prefect_cluster_config_block_shape_is_read() -> None:
    assert ClusterConfig.model_validate({"config": {}, "context_name": "prod"}).context == "prod"


def test_infrastructure_ids_are_namespace_and_job() -> None:
    assert parse_id("flows:brave-otter-x7k2p") == ("flows", "brave-otter-x7k2p")
    with pytest.raises(ValueError, match="namespace:job"):
        parse_id("4f1c0a")
