"""The template editor's form: generated from the variables schema, and back without loss."""

from __future__ import annotations

import pytest
from flowyard.registry import known_types
from flowyard.ui.schema_form import apply_form, errors_by_variable, fields_for


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
