"""The docker type without an engine: template, render, env and URL handling, exit explanations."""

from __future__ import annotations

import pytest
from flowyard.job import FlowRunInfo, base_job_template
from flowyard.plugins import WorkerTypes
from flowyard.templating import (
    build_job_configuration,
    merge_job_variables,
    validate_base_job_template,
)
from flowyard_docker.container import explain
from flowyard_docker.job import DockerJob, container_api_url
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
