"""A type's variables model is the one source of its default base job template."""

from __future__ import annotations

import enum
from typing import Literal

import pytest
from flowyard.errors import InvalidJobVariables
from flowyard.job import BaseJobConfiguration, BaseVariables, base_job_template
from flowyard.templating import (
    build_job_configuration,
    merge_job_variables,
    validate_base_job_template,
    validate_job_variables,
)
from pydantic import BaseModel, Field


class Size(enum.StrEnum):
    """A machine size."""

    SMALL = "small"
    LARGE = "large"


class Resources(BaseModel):
    """A nested object variable."""

    cpu: int = Field(default=1, ge=1, description="CPUs.")


class ClusterVariables(BaseVariables):
    """Variables of an imaginary cluster type."""

    image: str = Field(default="flows:1", title="Image", description="Image to run.")
    replicas: int = Field(default=1, ge=1, le=10, description="How many copies.")
    size: Size = Field(default=Size.SMALL, description="Machine size.")
    zone: Literal["a", "b"] = Field(default="a", description="Zone.")
    resources: Resources = Field(default_factory=Resources, description="Resources.")
    tags: list[str] = Field(default=[], description="Tags.")


def test_every_field_becomes_a_placeholder_under_its_own_name() -> None:
    configuration = ClusterVariables.job_configuration()
    assert configuration["image"] == "{{ image }}"
    assert set(configuration) == {
        "name",
        "env",
        "labels",
        "command",
        "image",
        "replicas",
        "size",
        "zone",
        "resources",
        "tags",
    }


def test_the_derived_template_is_valid() -> None:
    validate_base_job_template(base_job_template(ClusterVariables))


def test_properties_keep_title_description_default_and_constraints() -> None:
    replicas = base_job_template(ClusterVariables)["variables"]["properties"]["replicas"]
    assert replicas == {
        "type": "integer",
        "title": "Replicas",
        "description": "How many copies.",
        "default": 1,
        "minimum": 1,
        "maximum": 10,
    }


def test_enums_are_inlined_as_a_select_with_a_title() -> None:
    properties = base_job_template(ClusterVariables)["variables"]["properties"]
    assert properties["size"]["enum"] == ["small", "large"]
    assert properties["size"]["title"] == "Size" and properties["size"]["default"] == "small"
    assert properties["zone"]["enum"] == ["a", "b"]


def test_nested_models_stay_in_defs_and_validate() -> None:
    template = base_job_template(ClusterVariables)
    assert set(template["variables"]["$defs"]) == {"Resources"}
    with pytest.raises(InvalidJobVariables, match=r"resources\.cpu"):
        validate_job_variables(template, {"resources": {"cpu": 0}})


def test_no_model_title_and_no_unneeded_keys() -> None:
    variables = base_job_template(ClusterVariables)["variables"]
    assert set(variables) == {"type", "properties", "$defs"}
    assert variables["type"] == "object"


def test_base_fields_env_and_labels_have_no_default_and_merge_per_key() -> None:
    template = base_job_template(ClusterVariables)
    env = template["variables"]["properties"]["env"]
    assert "default" not in env and env["title"] == "Environment Variables"
    values = merge_job_variables(template, {"env": {"A": "1"}}, {"env": {"B": "2"}})
    assert values["env"] == {"A": "1", "B": "2"}


def test_defaults_render_into_the_job_configuration() -> None:
    template = base_job_template(ClusterVariables)
    configuration = build_job_configuration(
        template, merge_job_variables(template, {"replicas": 3})
    )
    assert configuration["image"] == "flows:1"
    assert configuration["replicas"] == 3
    assert configuration["size"] == "small"


def test_a_required_variable_is_listed_as_required() -> None:
    class Strict(BaseVariables):
        project: str = Field(title="Project", description="Cloud project.")

    assert base_job_template(Strict)["variables"]["required"] == ["project"]


def test_a_manifest_type_overrides_the_job_configuration() -> None:
    class Manifest(BaseVariables):
        image: str = Field(default="x", description="Image.")

        @classmethod
        def job_configuration(cls) -> dict[str, object]:
            return {"job": {"spec": {"image": "{{ image }}", "env": "{{ env }}"}}}

    template = base_job_template(Manifest)
    validate_base_job_template(template)
    assert template["job_configuration"] == {
        "job": {"spec": {"image": "{{ image }}", "env": "{{ env }}"}}
    }


def test_only_variables_models_are_accepted() -> None:
    with pytest.raises(TypeError, match="BaseVariables"):
        base_job_template(BaseModel)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("echo 'hello world'", ["echo", "hello world"]),
        (["python", "-c", "pass"], ["python", "-c", "pass"]),
        ("", None),
        (None, None),
    ],
)
def test_command_argv_splits_like_a_shell(
    command: str | list[str] | None, argv: list[str] | None
) -> None:
    assert BaseJobConfiguration(command=command).command_argv() == argv


def test_an_unsplittable_command_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"command .* cannot be split"):
        BaseJobConfiguration(command="echo 'unclosed").command_argv()


def test_env_values_become_strings_and_none_means_unset() -> None:
    job = BaseJobConfiguration(env={"A": 1, "B": None}, labels={"x": 2, "y": None})  # type: ignore[dict-item]
    assert job.env == {"A": "1", "B": None}
    assert job.labels == {"x": "2"}
