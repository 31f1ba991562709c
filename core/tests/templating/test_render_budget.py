"""The sandbox's render budget: a template built to run long stops within its wall-clock budget,
and sizes a filter or method would allocate up front are refused before any work is done."""

from __future__ import annotations

import time

import pytest
from flowyard.errors import TemplateSecurityError
from flowyard.settings import get_settings
from flowyard.templating import build_job_configuration
from flowyard.templating.sandbox import evaluate, render_budget

SLOW = "range(99999)|list" + "|sort(reverse=true)|list" * 12 + "|length"
"""Twelve sorts of 100,000 items: a few seconds of CPU with no size bound crossed."""


def _template(expression: str) -> dict[str, object]:
    return {"job_configuration": {"command": "{{ " + expression + " }}"}}


def test_a_template_that_would_run_long_is_stopped_at_its_budget() -> None:
    evaluate("1", {})  # warm the sandbox
    started = time.monotonic()
    with render_budget(60):
        assert evaluate(SLOW, {}) == 99999
    unbounded = time.monotonic() - started

    started = time.monotonic()
    with pytest.raises(TemplateSecurityError, match=r"budget of 0\.2 s"), render_budget(0.2):
        evaluate(SLOW, {})
    bounded = time.monotonic() - started

    assert unbounded > 1.0
    assert bounded < unbounded / 2


def test_the_render_budget_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWYARD_TEMPLATE_RENDER_SECONDS", "0.2")
    get_settings.cache_clear()
    try:
        with pytest.raises(TemplateSecurityError, match=r"budget of 0\.2 s"):
            build_job_configuration(_template(SLOW), {})
    finally:
        get_settings.cache_clear()


def test_the_budget_is_shared_by_every_placeholder_of_one_template() -> None:
    evaluate("1", {})  # warm the sandbox
    started = time.monotonic()
    with render_budget(60):
        evaluate(SLOW, {})
    one_placeholder = time.monotonic() - started  # scales with the machine's load, as below

    template = {"job_configuration": {f"k{i}": "{{ " + SLOW + " }}" for i in range(4)}}
    started = time.monotonic()
    with pytest.raises(TemplateSecurityError, match="budget"), render_budget(0.3):
        build_job_configuration(template, {})
    four_placeholders = time.monotonic() - started

    # a budget per placeholder would spend 4 x 0.3 s and more; a shared one stops in the first
    assert four_placeholders < one_placeholder / 2


@pytest.mark.parametrize(
    "expression",
    [
        "'x'|center(999999999)",
        "'x'.ljust(999999999)",
        "'x'|indent(999999999)",
        "'%0999999999d'|format(1)",
        "'%0999999999d' % 1",
        "'{:>999999999}'.format(1)",
    ],
)
def test_a_size_allocated_up_front_is_refused_before_any_work(expression: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateSecurityError, match=r"larger than|more than"):
        evaluate(expression, {})
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("memory|default(4294967296)", 4294967296),
        ("'ab'|center(6)", "  ab  "),
        ("'%05d'|format(42)", "00042"),
        ("'{}-{}'.format(name, 2)", "job-2"),
    ],
)
def test_ordinary_filters_and_methods_still_render(expression: str, expected: object) -> None:
    assert evaluate(expression, {"name": "job"}) == expected
