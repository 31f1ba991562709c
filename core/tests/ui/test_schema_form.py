"""The template editor's form: generated from the variables schema, and back without loss."""

from __future__ import annotations

import pytest
from flowyard.registry import known_types
from flowyard.ui.schema_form import (
    apply_form,
    errors_by_variable,
    fields_for,
    parameter_schema_of,
    schema_fields,
    values_from_form,
)


@pytest.mark.parametrize("worker_type", sorted(known_types()))
def test_submitting_the_untouched_form_gives_back_the_same_template(worker_type: str) -> None:
    template = known_types()[worker_type].default_base_job_template
    form = {f"var.{f.name}": f.value for f in fields_for(template)}
    rebuilt, errors = apply_form(template, form)
    assert errors == {}
    assert rebuilt == template


def test_every_variable_gets_a_field_with_its_title_description_and_default() -> None:
    template = {
        "job_configuration": {"a": "{{ a }}", "b": "{{ b }}", "c": "{{ c }}", "d": "{{ d }}"},
        "variables": {
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": {"type": "integer", "title": "Count", "description": "How many", "default": 3},
                "b": {"enum": ["Always", "Never"], "default": "Never"},
                "c": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                "d": {"type": "array", "items": {"type": "string"}, "default": ["x"]},
            },
        },
    }
    a, b, c, d = fields_for(template)
    assert (a.title, a.description, a.widget, a.value, a.required) == (
        "Count",
        "How many",
        "integer",
        "3",
        True,
    )
    assert (b.widget, b.options, b.value) == ("select", ["Always", "Never"], "Never")
    assert (c.widget, c.nullable, c.value, c.type_label) == ("text", True, "", "string or null")
    assert d.widget == "json"
    assert d.value.replace(" ", "").replace("\n", "") == '["x"]'


def test_a_field_that_is_not_its_type_is_an_error_at_that_field() -> None:
    template = {
        "job_configuration": {"n": "{{ n }}", "env": "{{ env }}"},
        "variables": {"properties": {"n": {"type": "integer"}, "env": {"type": "object"}}},
    }
    _, errors = apply_form(template, {"var.n": "three", "var.env": "{bad"})
    assert errors["n"] == ["'three' is not a whole number"]
    assert errors["env"][0].startswith("not valid JSON")


def test_server_errors_are_split_by_variable() -> None:
    by_var, other = errors_by_variable(
        [
            {"field": "base_job_template.variables.properties.env.default.FOO", "message": "bad"},
            {"field": "base_job_template.job_configuration", "message": "missing"},
        ]
    )
    assert by_var == {"env": ["FOO: bad"]}
    assert other == ["job_configuration: missing"]


PARAMETERS = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "default": "world"},
        "times": {"type": "integer", "default": 1},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


def test_a_parameter_form_shows_the_deployments_values_over_the_flows_defaults() -> None:
    name, times, tags = schema_fields(PARAMETERS, {"times": 5})
    assert (name.value, times.value, tags.widget) == ("world", "5", "json")


def test_parameters_typed_into_the_form_are_read_by_their_types_and_blanks_left_out() -> None:
    values, errors = values_from_form(
        PARAMETERS, {"param.name": "x", "param.times": "3", "param.tags": ""}, "param."
    )
    assert (values, errors) == ({"name": "x", "times": 3}, {})
    _, errors = values_from_form(PARAMETERS, {"param.times": "many"}, "param.")
    assert errors == {"times": ["'many' is not a whole number"]}


def test_a_stored_parameter_schema_is_found_on_the_deployment() -> None:
    class Stored:
        parameter_schema = PARAMETERS

    assert parameter_schema_of(Stored()) == PARAMETERS
    assert parameter_schema_of(object()) is None
