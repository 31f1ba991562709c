"""Hostile templates: refused when stored (naming the placeholder) and bounded when rendered."""

from __future__ import annotations

import time

import pytest
from flowyard.errors import InvalidBaseJobTemplate, TemplateSecurityError
from flowyard.templating import validate_base_job_template
from flowyard.templating.sandbox import evaluate


def _template(expression: str) -> dict[str, object]:
    return {
        "job_configuration": {"command": "{{ " + expression + " }}"},
        "variables": {"type": "object", "properties": {"x": {"type": "string"}}},
    }


@pytest.mark.parametrize(
    "expression", ["''.__class__.__mro__", "x['__class__']", "x|attr('__class__')"]
)
def test_a_template_reaching_for_internals_is_refused_when_stored(expression: str) -> None:
    with pytest.raises(InvalidBaseJobTemplate) as refused:
        validate_base_job_template(_template(expression))
    [error] = refused.value.errors
    assert error.field == "job_configuration.command"
    assert expression in error.message


@pytest.mark.parametrize(
    "expression",
    ["([x*100000]*100000)|join", "(((10**100)**100)**100)**100", "(2**100)**100"],
)
def test_a_template_building_huge_values_is_stopped_quickly(expression: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateSecurityError):
        evaluate(expression, {"x": "a"})
    assert time.monotonic() - started < 1.0


def test_ordinary_arithmetic_and_repetition_still_work() -> None:
    assert evaluate("x * 3", {"x": "ab"}) == "ababab"
    assert evaluate("2 ** 10 + 1", {}) == 1025
    assert evaluate("(x * 10)|length", {"x": "ab"}) == 20
