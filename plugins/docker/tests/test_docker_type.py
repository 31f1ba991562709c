"""The docker type without an engine: template, render, env and URL handling, exit explanations."""

from __future__ import annotations

import pytest
from flowyard.errors import InvalidJobVariables
from flowyard.job import FlowRunInfo, base_job_template
from flowyard.plugins import WorkerTypes
from flowyard.templating import (
    build_job_configuration,
    merge_job_variables,
    validate_base_job_template,
    validate_job_variables,
)
from flowyard_docker.container import explain
from flowyard_docker.job import DockerJob, RegistryCredentials, container_api_url, image_registry
from flowyard_docker.variables import DockerVariables
from pydantic import ValidationError

RUN = FlowRunInfo(id="r1", name="brave/otter")


def test_the_template_is_derived_from_the_variables_model() -> None:
    hooks = WorkerTypes().hooks("docker")
    assert hooks.variables_model() is DockerVariables
    assert hooks.default_base_job_template() == base_job_template(DockerVariables)


def test_template_is_valid_and_declares_every_variable() -> None:
    template = WorkerTypes().hooks("docker").default_base_job_template()
    validate_base_job_template(template)
    assert template["variables"]["properties"]["image_pull_policy"]["enum"] == [
        "IfNotPresent",
        "Always",
        "Never",
    ]
    required = {
        "image",
        "image_pull_policy",
        "env",
        "labels",
        "name",
        "command",
        "networks",
        "network_mode",
        "volumes",
        "auto_remove",
        "mem_limit",
        "memswap_limit",
        "privileged",
        "stream_output",
        "container_create_kwargs",
        "registry_credentials",
        "container_start_timeout_seconds",
    }
    assert required <= set(template["variables"]["properties"])


def test_render_merges_job_variables_into_a_typed_spec() -> None:
    hooks = WorkerTypes().hooks("docker")
    template = hooks.default_base_job_template()
    values = merge_job_variables(
        template,
        {"image": "flows:1", "env": {"A": "1"}},
        {"mem_limit": "256m", "volumes": ["/data:/data:ro"]},
    )
    job = hooks.render(build_job_configuration(template, values), RUN)
    assert isinstance(job, DockerJob)
    assert (job.image, job.mem_limit, job.image_pull_policy) == ("flows:1", "256m", "IfNotPresent")
    assert job.volume_map() == {"/data": {"bind": "/data", "mode": "ro"}}
    assert job.container_name() == "brave-otter"
    assert job.argv() == ["python", "-m", "flowyard.engine"]


def test_bad_values_name_the_field() -> None:
    with pytest.raises(ValidationError, match="image_pull_policy"):
        DockerJob.model_validate({"image_pull_policy": "Sometimes"})
    with pytest.raises(ValidationError, match="volume 'nocolon'"):
        DockerJob.model_validate({"volumes": ["nocolon"]})


def test_loopback_api_urls_are_made_reachable_from_containers() -> None:
    assert container_api_url("http://127.0.0.1:4200/api") == "http://host.docker.internal:4200/api"
    assert container_api_url("http://localhost/api") == "http://host.docker.internal/api"
    assert (
        container_api_url("https://flowyard.example.com/api") == "https://flowyard.example.com/api"
    )
    env = {"FLOWYARD_API_URL": "http://127.0.0.1:4200/api", "GONE": None}
    assert DockerJob(env=env).environment() == {
        "FLOWYARD_API_URL": "http://host.docker.internal:4200/api"
    }
    assert (
        DockerJob(env=env, network_mode="host").environment()["FLOWYARD_API_URL"]
        == "http://127.0.0.1:4200/api"
    )


def test_exit_explanations() -> None:
    assert explain(0, False, None) is None
    assert "OOMKilled (mem_limit 64m)" in (explain(137, True, "64m") or "")
    assert "137" in (explain(137, False, None) or "")
    assert explain(3, False, None) == "The container exited with code 3."


CREDENTIALS = {"registry_url": "registry.example.com", "username": "bot", "password_env": "REG_PW"}


def render_with(**variables: object) -> DockerJob:
    hooks = WorkerTypes().hooks("docker")
    template = hooks.default_base_job_template()
    job = hooks.render(
        build_job_configuration(template, merge_job_variables(template, variables)), RUN
    )
    assert isinstance(job, DockerJob)
    return job


def test_the_start_timeout_defaults_to_five_minutes_and_null_means_no_limit() -> None:
    assert render_with().container_start_timeout_seconds == 300
    assert render_with(container_start_timeout_seconds=None).container_start_timeout_seconds is None
    assert render_with(container_start_timeout_seconds=3).container_start_timeout_seconds == 3


def test_a_start_timeout_that_is_not_positive_is_refused_naming_the_field() -> None:
    template = WorkerTypes().hooks("docker").default_base_job_template()
    with pytest.raises(InvalidJobVariables) as caught:
        validate_job_variables(template, {"container_start_timeout_seconds": 0})
    assert "container_start_timeout_seconds: 0 is not valid" in str(caught.value)


def test_registry_credentials_take_a_password_variable_name_never_a_password() -> None:
    template = WorkerTypes().hooks("docker").default_base_job_template()
    validate_job_variables(template, {"registry_credentials": CREDENTIALS})
    with pytest.raises(InvalidJobVariables) as caught:
        validate_job_variables(
            template, {"registry_credentials": {**CREDENTIALS, "password": "hunter2"}}
        )
    assert "'password' was unexpected" in str(caught.value)


def test_the_worker_reads_the_registry_password_from_its_environment_as_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REG_PW", "hunter2-secret")
    job = render_with(registry_credentials=CREDENTIALS)
    credentials = job.registry_credentials
    assert credentials is not None
    assert credentials.auth_config() == {"username": "bot", "password": "hunter2-secret"}
    for shown in (repr(job), str(job), job.model_dump_json(), str(job.model_dump())):
        assert "hunter2-secret" not in shown
    assert "hunter2-secret" not in str(job.environment()) + str(job.labels)


def test_a_password_variable_missing_on_the_worker_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REG_PW", raising=False)
    with pytest.raises(ValueError, match="'REG_PW' is not set on this worker"):
        render_with(registry_credentials=CREDENTIALS)


def test_a_bad_rendered_configuration_names_the_field_without_echoing_values() -> None:
    hooks = WorkerTypes().hooks("docker")
    rendered = {"registry_credentials": {"username": "bot", "password": "hunter2-secret"}}
    with pytest.raises(ValueError, match=r"registry_credentials\.registry_url") as caught:
        hooks.render(rendered, RUN)
    assert "hunter2-secret" not in str(caught.value)


def test_the_registry_of_an_image_reference() -> None:
    assert image_registry("flows:1") == "docker.io"
    assert image_registry("team/flows:1") == "docker.io"
    assert image_registry("127.0.0.1:5000/team/flows:1") == "127.0.0.1:5000"
    assert image_registry("registry.example.com/flows") == "registry.example.com"
    assert image_registry("localhost/flows") == "localhost"


def test_credentials_are_only_handed_to_their_own_registry() -> None:
    credentials = RegistryCredentials(
        registry_url="https://Registry.Example.com/", username="bot", password_env="REG_PW"
    )
    credentials.check_image("registry.example.com/team/flows:1")
    with pytest.raises(ValueError, match=r"not the registry of image 'other\.example\.com/"):
        credentials.check_image("other.example.com/flows:1")
    hub = RegistryCredentials(
        registry_url="https://index.docker.io/v1/", username="bot", password_env="REG_PW"
    )
    hub.check_image("team/flows:1")
