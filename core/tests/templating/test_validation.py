"""validate_base_job_template and validate_job_variables: every error, named, in a stable order."""

from __future__ import annotations

from typing import Any

import pytest
from flowyard.errors import FieldError, InvalidBaseJobTemplate, InvalidJobVariables
from flowyard.job import base_job_template
from flowyard.templating import validate_base_job_template, validate_job_variables
from flowyard_process.variables import ProcessVariables

PROCESS = base_job_template(ProcessVariables)


def errors_of(template: Any) -> list[FieldError]:
    with pytest.raises(InvalidBaseJobTemplate) as info:
        validate_base_job_template(template)
    return info.value.errors


def test_empty_template_is_valid() -> None:
    validate_base_job_template({})


def test_process_default_template_is_valid() -> None:
    validate_base_job_template(PROCESS)


def test_missing_variables_key_is_named() -> None:
    errors = errors_of({"job_configuration": {"a": "{{ x }}"}})
    assert [e.field for e in errors] == ["variables"]
    assert "needs both" in errors[0].message


def test_non_object_template() -> None:
    assert errors_of([1])[0].message == "the base job template must be a JSON object"


def test_every_undeclared_variable_is_reported_in_a_stable_order() -> None:
    template = {
        "job_configuration": {"a": "{{ x }}", "b": {"c": "{{ y }}-{{ z }}"}},
        "variables": {"properties": {"x": {}}},
    }
    errors = errors_of(template)
    assert [(e.field, e.message.split(";")[0]) for e in errors] == [
        ("job_configuration.b.c", "uses undeclared variable 'y'"),
        ("job_configuration.b.c", "uses undeclared variable 'z'"),
    ]
    assert errors == errors_of(template)  # deterministic


def test_expression_variables_must_be_declared() -> None:
    template = {
        "job_configuration": {"a": "{{ cpu | default(n) }}"},
        "variables": {"properties": {"cpu": {}}},
    }
    assert [e.message.split(";")[0] for e in errors_of(template)] == [
        "uses undeclared variable 'n'"
    ]


def test_broken_expression_is_reported_with_its_field() -> None:
    template = {
        "job_configuration": {"list": ["ok", "{{ x | }}"]},
        "variables": {"properties": {"x": {}}},
    }
    (error,) = errors_of(template)
    assert error.field == "job_configuration.list[1]"
    assert "not a valid placeholder or expression" in error.message


def test_dotted_placeholder_needs_only_its_root_declared() -> None:
    validate_base_job_template(
        {
            "job_configuration": {"a": "{{ cfg.image }}", "b": "{{ cfg.list[0] }}"},
            "variables": {"properties": {"cfg": {"type": "object"}}},
        }
    )


def test_invalid_default_is_reported() -> None:
    template = {
        "job_configuration": {"s": "{{ stream_output }}", "n": "{{ n }}"},
        "variables": {
            "properties": {
                "stream_output": {"type": "boolean", "default": "yes"},
                "n": {"type": "integer", "minimum": 1, "default": 0},
            }
        },
    }
    assert [(e.field, e.message) for e in errors_of(template)] == [
        ("variables.properties.n.default", "invalid default: 0 is less than the minimum of 1"),
        (
            "variables.properties.stream_output.default",
            "invalid default: 'yes' is not of type 'boolean'",
        ),
    ]


def test_invalid_json_schema_is_reported() -> None:
    errors = errors_of(
        {
            "job_configuration": {"a": 1},
            "variables": {"type": "object", "properties": {"a": {"type": "bogus"}}},
        }
    )
    assert errors[0].field.startswith("variables.properties.a.type")
    assert "invalid JSON Schema" in errors[0].message


def test_null_default_is_accepted_for_a_typed_property() -> None:
    validate_base_job_template(
        {
            "job_configuration": {"n": "{{ name }}"},
            "variables": {"properties": {"name": {"type": "string", "default": None}}},
        }
    )


def test_error_message_lists_each_field() -> None:
    with pytest.raises(InvalidBaseJobTemplate) as info:
        validate_base_job_template(
            {"job_configuration": {"a": "{{ q }}"}, "variables": {"properties": {}}}
        )
    assert "job_configuration.a: uses undeclared variable 'q'" in str(info.value)


# ---------------------------------------------------------------- job variables (reference §1.7)


def job_errors(values: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidJobVariables) as info:
        validate_job_variables(PROCESS, values, **kwargs)
    return [(e.field, e.message) for e in info.value.errors]


def test_wrong_type_names_the_field() -> None:
    assert job_errors({"stream_output": "yes"}) == [
        ("stream_output", "'yes' is not of type 'boolean'")
    ]


def test_none_with_default_is_allowed_by_default() -> None:
    validate_job_variables(PROCESS, {"stream_output": None})


def test_none_with_default_can_be_refused() -> None:
    assert job_errors({"stream_output": None}, allow_none_with_default=False) == [
        ("stream_output", "None is not of type 'boolean'")
    ]


def test_nested_field_path_and_reasons() -> None:
    ((field, message),) = job_errors({"env": {"A": 1}})
    assert field == "env.A"
    assert message.startswith("1 is not valid under any of the given schemas")
    assert "1 is not of type 'string'" in message


def test_unknown_variables_are_accepted() -> None:
    validate_job_variables(PROCESS, {"bogus": 1})


def test_all_errors_are_reported_together() -> None:
    errors = job_errors({"stream_output": "yes", "env": {"B": 2}, "working_dir": 3})
    assert [f for f, _ in errors] == ["env.B", "stream_output", "working_dir"]


REQUIRED = {
    "job_configuration": {"i": "{{ image }}", "c": "{{ cpu }}"},
    "variables": {
        "type": "object",
        "required": ["image"],
        "properties": {"image": {"type": "string"}, "cpu": {"type": "integer", "minimum": 1}},
    },
}


def test_required_is_ignored_for_deployments_and_enforced_for_runs() -> None:
    validate_job_variables(REQUIRED, {})
    with pytest.raises(InvalidJobVariables, match="'image' is a required property"):
        validate_job_variables(REQUIRED, {}, ignore_required=False)


def test_minimum_is_checked() -> None:
    with pytest.raises(InvalidJobVariables) as info:
        validate_job_variables(REQUIRED, {"image": "x", "cpu": 0}, ignore_required=False)
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("cpu", "0 is less than the minimum of 1")
    ]


def test_dotted_keys_are_validated_as_nested() -> None:
    assert job_errors({"env.FOO": 5})[0][0] == "env.FOO"
