"""The steps apply_values renders a string with (flowyard.templating.render), one at a time."""

from __future__ import annotations

from typing import Any

import pytest
from flowyard.templating import NotSet, Placeholder, find_placeholders
from flowyard.templating.render import (
    as_text,
    interpolate,
    keep_or_value,
    render_span,
    render_string,
    whole_expression,
    whole_plain_name,
)

VALUES = {"a": "A", "n": 3, "nested": {"k": [10, 20]}, "none": None}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("{{ a }}", "a"),
        ("{{nested.k[1]}}", "nested.k[1]"),
        ("{{ $HOME }}", None),  # environment placeholders are always interpolated
        ("{{ a }}-", None),
        ("{{ a | upper }}", None),
        ("plain text", None),
    ],
)
def test_whole_plain_name_only_for_one_plain_placeholder(text: str, name: str | None) -> None:
    assert whole_plain_name(text) == name


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("{{ a | upper }}", " a | upper "),
        ("{{ n + 1 }}", " n + 1 "),
        ("{{ a }}", None),  # plain placeholders are not expressions
        ("{{ x y }}", None),  # not valid Jinja2
        ("{{ n + 1 }}-", None),
        ("{{ a }}{{ n }}", None),
    ],
)
def test_whole_expression_only_for_one_valid_expression(text: str, expression: str | None) -> None:
    assert whole_expression(text) == expression


@pytest.mark.parametrize(
    ("value", "remove_notset", "expected"),
    [(5, True, 5), (None, True, None), (NotSet, True, NotSet), (NotSet, False, "{{ m }}")],
)
def test_keep_or_value_keeps_the_text_only_for_a_kept_missing_value(
    value: Any, remove_notset: bool, expected: Any
) -> None:
    assert keep_or_value("{{ m }}", value, remove_notset) == expected


@pytest.mark.parametrize(
    ("value", "remove_notset", "expected"),
    [
        (8080, True, "8080"),
        ({"a": 1}, True, "{'a': 1}"),
        (None, True, "None"),
        (NotSet, True, ""),
        (NotSet, False, "{{ m }}"),
    ],
)
def test_as_text_uses_python_str_and_handles_missing(
    value: Any, remove_notset: bool, expected: str
) -> None:
    assert as_text("{{ m }}", value, remove_notset) == expected


@pytest.mark.parametrize(
    ("raw", "skip", "expected"),
    [
        ("{{ a }}", None, "A"),
        ("{{ missing }}", None, ""),
        ("{{ ctx.flow }}", ["ctx."], "{{ ctx.flow }}"),
        ("{{ n * 2 }}", None, "6"),
        ("{{ x y }}", None, "{{ x y }}"),
    ],
)
def test_render_span_interpolates_one_placeholder(
    raw: str, skip: list[str] | None, expected: str
) -> None:
    assert render_span(raw, raw[2:-2], VALUES, True, skip) == expected


def test_interpolate_is_a_single_pass() -> None:
    assert interpolate("{{ a }}-{{ b }}", {"a": "{{ b }}", "b": "B"}, True, None) == "{{ b }}-B"


def test_render_string_keeps_types_of_whole_values_only() -> None:
    assert render_string("{{ n }}", VALUES, True, None) == 3
    assert render_string("{{ n + 1 }}", VALUES, True, None) == 4
    assert render_string("{{ n }}!", VALUES, True, None) == "3!"


def test_find_placeholders_names_each_kind_once_sorted() -> None:
    template = {"a": ["{{ x }}", {"b": "{{ $HOME }} {{ x }} {{ y | lower }} {{ x y }}"}]}
    assert find_placeholders(template) == [
        Placeholder("$HOME", "env_var"),
        Placeholder("x", "standard"),
        Placeholder("y | lower", "expression"),
    ]
