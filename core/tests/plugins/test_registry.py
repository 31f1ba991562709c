"""The worker-type registry: every known type, its package and a valid default template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flowyard.job import BaseVariables, base_job_template
from flowyard.plugins import WorkerTypes
from flowyard.registry import RegistryError, distribution_for, known_types
from flowyard.registry_generate import BUNDLED, generated_types, main, regenerate
from flowyard.templating import (
    build_job_configuration,
    merge_job_variables,
    validate_base_job_template,
)
from flowyard.testing.cli import run_cli

EXPECTED = {
    "process": "flowyard-process",
    "docker": "flowyard-docker",
    "kubernetes": "flowyard-kubernetes",
    "ecs": "flowyard-aws",
    "cloud-run": "flowyard-gcp",
    "vertex-ai": "flowyard-gcp",
    "azure-container-instance": "flowyard-azure",
}


def test_every_type_maps_to_its_distribution() -> None:
    assert {name: entry.distribution for name, entry in known_types().items()} == EXPECTED


@pytest.mark.parametrize("worker_type", sorted(EXPECTED))
def test_default_templates_are_valid_and_render(worker_type: str) -> None:
    template = known_types()[worker_type].default_base_job_template
    validate_base_job_template(template)
    required = template["variables"].get("required", [])
    values = merge_job_variables(template, {name: "x" for name in required}, {"env": {"A": "1"}})
    configuration = build_job_configuration(template, values)
    assert "{{" not in json.dumps(configuration)  # every placeholder was resolved
    assert "A" in json.dumps(configuration)


@pytest.mark.parametrize("worker_type", ["kubernetes", "ecs", "azure-container-instance"])
def test_templates_are_available_without_the_package(worker_type: str) -> None:
    result = run_cli("work-pool", "get-default-base-job-template", "--type", worker_type)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == known_types()[worker_type].default_base_job_template


def test_a_company_file_adds_and_overrides_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = {
        "job_configuration": {"queue": "{{ queue }}"},
        "variables": {
            "type": "object",
            "properties": {"queue": {"type": "string", "default": "batch"}},
        },
    }
    extra = tmp_path / "types.json"
    extra.write_text(
        json.dumps(
            {
                "slurm": {
                    "distribution": "acme-flowyard-slurm",
                    "default_base_job_template": template,
                },
                "docker": {"distribution": "acme-docker"},
            }
        )
    )
    monkeypatch.setenv("FLOWYARD_WORKER_REGISTRY", str(extra))
    assert distribution_for("slurm") == "acme-flowyard-slurm"
    assert distribution_for("docker") == "acme-docker"
    result = run_cli("work-pool", "get-default-base-job-template", "--type", "slurm")
    assert json.loads(result.stdout) == template
    types = run_cli("worker", "types", "--output", "json")
    slurm = next(t for t in json.loads(types.stdout) if t["name"] == "slurm")
    assert slurm["distribution"] == "acme-flowyard-slurm" and slurm["installed"] is False


def test_a_broken_registry_file_names_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": {"no": "distribution"}}')
    monkeypatch.setenv("FLOWYARD_WORKER_REGISTRY", str(bad))
    with pytest.raises(RegistryError, match=r"bad\.json.*'x'.*distribution"):
        known_types()


def variables_of(worker_type: str) -> type[BaseVariables]:
    model = WorkerTypes().hooks(worker_type).variables_model()
    assert model is not None
    return model


def test_the_bundled_registry_is_generated_from_the_installed_plugins() -> None:
    current = BUNDLED.read_text("utf-8")
    assert regenerate(current) == current, "the registry drifted: run scripts/generate-registry"


def test_process_and_docker_entries_come_from_their_plugins() -> None:
    entries = json.loads(BUNDLED.read_text("utf-8"))
    assert {"process", "docker"} <= set(generated_types(entries))
    assert entries["docker"]["default_base_job_template"] == base_job_template(
        variables_of("docker")
    )


def test_the_registry_file_has_one_compact_line_per_type() -> None:
    lines = BUNDLED.read_text("utf-8").splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert len(lines) == len(EXPECTED) + 2


def test_generation_keeps_other_entries_and_descriptions() -> None:
    stale = {
        "process": {"distribution": "flowyard-process", "description": "Mine."},
        "slurm": {"distribution": "acme-slurm", "default_base_job_template": {}},
    }
    entries = json.loads(regenerate(json.dumps(stale)))
    assert entries["slurm"] == stale["slurm"]
    assert entries["process"]["description"] == "Mine."
    assert entries["process"]["default_base_job_template"] == base_job_template(
        variables_of("process")
    )


def test_check_mode_reports_a_drifted_file(tmp_path: Path) -> None:
    drifted = tmp_path / "types.json"
    drifted.write_text(json.dumps({"process": {"distribution": "flowyard-process"}}))
    assert main([str(drifted), "--check"]) == 1
    assert main([str(drifted)]) == 0
    assert main([str(drifted), "--check"]) == 0
