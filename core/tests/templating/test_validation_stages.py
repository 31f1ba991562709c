"""The stages of base-job-template validation (flowyard.templating.validation), one at a time."""

from __future__ import annotations

from typing import Any

import pytest
from flowyard.errors import FieldError
from flowyard.templating.validation import (
    default_errors,
    json_path,
    placeholder_errors,
    shape_errors,
    span_names,
    variables_schema_errors,
    without_defaulted_nones,
)


def fields(errors: list[FieldError]) -> list[str]:
    return [e.field for e in errors]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ({"job_configuration": {"a": 1}, "variables": {"type": "object"}}, []),
        ({"job_configuration": {"a": 1}}, ["variables"]),
        ({"job_configuration": {}, "variables": {"type": "object"}}, ["job_configuration"]),
        ({"job_configuration": [1], "variables": {"type": "object"}}, ["job_configuration"]),
        ({"job_configuration": {"a": 1}, "variables": {"x": 1}, "extra": 1}, ["extra"]),
    ],
)
def test_shape_needs_exactly_two_objects(template: dict[str, Any], expected: list[str]) -> None:
    assert fields(shape_errors(template)) == expected


def test_shape_names_a_non_object_part_by_its_type() -> None:
    errors = shape_errors({"job_configuration": [1], "variables": {"type": "object"}})
    assert errors[0].message == "must be a JSON object, not list"


def test_variables_must_be_a_schema_of_an_object() -> None:
    assert variables_schema_errors({"type": "object", "properties": {}}) == []
    assert fields(variables_schema_errors({"type": "array"})) == ["variables.type"]
    errors = variables_schema_errors({"properties": {"x": {"type": 5}}})
    assert fields(errors) == ["variables.properties.x.type"]
    assert errors[0].message.startswith("invalid JSON Schema: ")


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("{{ a.b[0] }}", {"a"}),
        ("{{ cpu | default(n) }}", {"cpu", "n"}),
        ("{{ range(3) | list }}", set()),  # sandbox globals are not variables
    ],
)
def test_span_names_are_the_variables_it_reads(raw: str, names: set[str]) -> None:
    assert span_names("p", raw, raw[2:-2]) == names


def test_span_names_of_invalid_syntax_is_an_error_for_its_path() -> None:
    error = span_names("job_configuration.a", "{{ x y }}", " x y ")
    assert isinstance(error, FieldError)
    assert error.field == "job_configuration.a"
    assert error.message.startswith("'{{ x y }}' is not a valid placeholder or expression")


def test_placeholder_errors_name_each_undeclared_variable_at_its_path() -> None:
    configuration = {"a": "{{ x }}", "b": ["{{ y }}-{{ z }}"]}
    errors = placeholder_errors(configuration, {"x": {}})
    assert [(e.field, e.message.split(";")[0]) for e in errors] == [
        ("job_configuration.b[0]", "uses undeclared variable 'y'"),
        ("job_configuration.b[0]", "uses undeclared variable 'z'"),
    ]


def test_default_errors_check_non_null_defaults_only_and_ignore_required() -> None:
    variables = {
        "type": "object",
        "required": ["image"],
        "properties": {
            "n": {"type": "integer", "default": "x"},
            "s": {"type": "string", "default": None},
            "image": {"type": "string"},
        },
    }
    errors = default_errors(variables, variables["properties"])
    assert fields(errors) == ["variables.properties.n.default"]
    assert errors[0].message == "invalid default: 'x' is not of type 'integer'"


def test_none_means_use_the_default_only_where_there_is_one() -> None:
    properties = {"a": {"default": 1}, "b": {"type": "string"}}
    assert without_defaulted_nones({"a": None, "b": None, "c": 2}, properties) == {
        "b": None,
        "c": 2,
    }


def test_json_path_spells_indexes_with_brackets() -> None:
    assert json_path(["env", "A", 0, "x"]) == "env.A[0].x"
    assert json_path([]) == ""
