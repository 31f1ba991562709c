"""The azure-container-instance type without infrastructure: its template, render, the body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aci_env import configuration, flow_run
from flowyard.job import base_job_template
from flowyard.templating import find_placeholders, validate_base_job_template
from flowyard_azure import worker
from flowyard_azure.connection import credential
from flowyard_azure.groups import parse_id
from flowyard_azure.job import AzureContainerInstanceJob, group_name
from flowyard_azure.variables import AzureContainerInstanceVariables, ClientSecretCredentials
from pydantic import ValidationError

WHERE = {"subscription_id": "sub-1", "resource_group_name": "rg-1", "location": "westeurope"}


def body(**variables: Any) -> dict[str, Any]:
    run = flow_run()
    job = worker.render(configuration(run, **{**WHERE, **variables}), run)
    return job.body(run, "westeurope")


def container(group: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = group["properties"]["containers"][0]["properties"]
    return props


def test_the_default_template_is_valid_and_holds_a_container_group_body() -> None:
    template = base_job_template(AzureContainerInstanceVariables)

    validate_base_job_template(template)
    group = template["job_configuration"]["container_group"]
    assert group["properties"]["restartPolicy"] == "Never"
    names = {p.name for p in find_placeholders(template["job_configuration"])}
    assert {"image", "cpu", "memory", "gpu_count", "subnet_ids", "dns_servers"} <= names


def test_the_variables_cover_what_issue_13_lists() -> None:
    variables = base_job_template(AzureContainerInstanceVariables)["variables"]

    assert {
        "image", "resource_group_name", "subscription_id", "identities", "cpu", "memory",
        "gpu_count", "gpu_sku", "subnet_ids", "dns_servers", "image_registry", "entrypoint",
        "stream_output", "keep_container_group", "task_start_timeout_seconds",
        "task_watch_poll_interval", "env", "labels", "name", "command", "credentials",
    } <= set(variables["properties"])  # fmt: skip
    assert "required" not in variables or not variables["required"]


def test_the_api_key_is_a_secure_value_and_other_env_plain_values() -> None:
    env = container(body(env={"TEAM": "data"}))["environmentVariables"]

    assert {"name": "FLOWYARD_API_KEY", "secureValue": "sk-very-secret"} in env
    assert {"name": "TEAM", "value": "data"} in env
    assert not any(e.get("value") == "sk-very-secret" for e in env)


def test_the_engine_is_the_default_command_and_the_entrypoint_goes_in_front() -> None:
    assert container(body())["command"] == ["python", "-m", "flowyard.engine"]
    assert container(body(entrypoint="/opt/entry.sh --x", command="python -m flows"))[
        "command"
    ] == ["/opt/entry.sh", "--x", "python", "-m", "flows"]


def test_labels_become_tags_on_the_group() -> None:
    tags = body(labels={"team": "data"})["tags"]

    assert tags["team"] == "data"
    assert "flowyard.flow-run-id" in tags


def test_resources_gpu_network_and_identities_reach_the_body() -> None:
    group = body(
        cpu=2,
        memory=3.5,
        gpu_count=1,
        gpu_sku="V100",
        subnet_ids=["/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/x/subnets/a"],
        dns_servers=["10.0.0.4"],
        identities=["/subscriptions/s/resourcegroups/r/providers/id/ident"],
    )

    requests = container(group)["resources"]["requests"]
    assert requests == {"cpu": 2.0, "memoryInGB": 3.5, "gpu": {"count": 1, "sku": "V100"}}
    assert group["properties"]["subnetIds"][0]["id"].endswith("/subnets/a")
    assert group["properties"]["dnsConfig"] == {"nameServers": ["10.0.0.4"]}
    assert group["identity"]["type"] == "UserAssigned"


def test_unset_optional_fields_leave_no_empty_keys() -> None:
    group = body()

    assert "gpu" not in container(group)["resources"]["requests"]
    assert "subnetIds" not in group["properties"] and "dnsConfig" not in group["properties"]
    assert "identity" not in group and "imageRegistryCredentials" not in group["properties"]


def test_a_missing_subscription_is_refused_naming_the_field_and_the_worker_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    run = flow_run()
    config = configuration(run, resource_group_name="rg-1")

    with pytest.raises(
        ValidationError, match=r"subscription_id is required.*AZURE_SUBSCRIPTION_ID"
    ):
        worker.render(config, run)


def test_subscription_group_and_endpoint_fall_back_to_the_workers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "sub-env")
    monkeypatch.setenv("AZURE_RESOURCE_GROUP", "rg-env")
    monkeypatch.delenv("AZURE_RESOURCE_MANAGER_ENDPOINT", raising=False)
    run = flow_run()

    job = worker.render(configuration(run), run)

    assert (job.subscription_id, job.resource_group_name) == ("sub-env", "rg-env")
    assert job.arm_endpoint == "https://management.azure.com"


def test_a_plain_http_endpoint_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="https"):
        AzureContainerInstanceJob(**WHERE, arm_endpoint="http://127.0.0.1:1")


def test_the_registry_password_comes_from_the_workers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = {"server": "reg.azurecr.io", "username": "bot", "password_env": "REG_PASSWORD"}
    monkeypatch.setenv("REG_PASSWORD", "hunter2")
    run = flow_run()
    config = configuration(run, **WHERE, image_registry=registry)

    job = worker.render(config, run)

    assert "hunter2" not in json.dumps(config)
    assert job.body(run, "x")["properties"]["imageRegistryCredentials"] == [
        {"server": "reg.azurecr.io", "username": "bot", "password": "hunter2"}
    ]


def test_an_unset_registry_password_variable_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REG_PASSWORD", raising=False)
    registry = {"server": "reg.azurecr.io", "username": "bot", "password_env": "REG_PASSWORD"}
    run = flow_run()

    with pytest.raises(ValueError, match="'REG_PASSWORD', which is not set"):
        worker.render(configuration(run, **WHERE, image_registry=registry), run)


def test_a_named_client_secret_is_read_from_the_workers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azure.identity import ClientSecretCredential

    monkeypatch.setenv("SP_SECRET", "s3cret")
    named = ClientSecretCredentials(tenant_id="t-1", client_id="c-1", client_secret_env="SP_SECRET")

    assert isinstance(credential(named), ClientSecretCredential)
    assert "s3cret" not in named.model_dump_json()


def test_an_unset_client_secret_variable_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SP_SECRET", raising=False)
    named = ClientSecretCredentials(tenant_id="t-1", client_id="c-1", client_secret_env="SP_SECRET")

    with pytest.raises(ValueError, match="'SP_SECRET', which is not set"):
        credential(named)


def test_group_names_are_valid_aci_names_and_unique_per_run() -> None:
    name = group_name(
        "My Flow!! run -- with a very long name indeed", "0f1e2d3c-aaaa-bbbb-cccc-1234"
    )

    assert len(name) <= 63 and name == name.lower()
    assert "--" not in name and not name.startswith("-")
    assert name.endswith("-0f1e2d3c-aaaa-bbbb-cccc-1234")


def test_infrastructure_ids_are_resource_group_and_group() -> None:
    assert parse_id("rg-1:grp") == ("rg-1", "grp")
    with pytest.raises(ValueError, match="resource-group:container-group"):
        parse_id("grp")
