"""Jinja2 expressions beyond plain placeholders, and the sandbox that contains them."""

from __future__ import annotations

import pytest
from flowyard.errors import TemplateError, TemplateSecurityError
from flowyard.templating import NotSet, apply_values


def test_filter_on_whole_value_expression() -> None:
    assert apply_values({"n": "{{ name | lower }}"}, {"name": "MyJob"}) == {"n": "myjob"}


def test_default_filter_keeps_native_type() -> None:
    assert apply_values({"cpu": "{{ cpu | default(1) }}"}, {}) == {"cpu": 1}
    assert apply_values({"cpu": "{{ cpu | default(1) }}"}, {"cpu": 4}) == {"cpu": 4}


def test_expression_arithmetic_keeps_native_type() -> None:
    assert apply_values({"mem": "{{ gb * 1024 }}"}, {"gb": 2}) == {"mem": 2048}


def test_embedded_expression_is_interpolated_next_to_plain_placeholders() -> None:
    values = {"name": "Job", "env": "prod"}
    assert apply_values("{{ name | upper }}-{{ env }}", values) == "JOB-prod"


def test_missing_whole_value_expression_removes_the_key() -> None:
    assert apply_values({"a": "{{ nope | upper if nope }}", "b": 1}, {}) == {"b": 1}
    assert apply_values({"a": "{{ nope + 1 if nope is defined else nope }}"}, {}) == {}


def test_inserted_values_are_not_rendered_again() -> None:
    assert apply_values("{{ a | lower }}", {"a": "{{ B }}"}) == "{{ b }}"


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "x-{{ ().__class__.__bases__[0].__subclasses__() }}",
        "{{ values.__init__.__globals__ | string }}",
        "{{ values['__class__'] | string }}",
        "{{ 'a' * 100000000 }}",
        "{{ 10 ** 100000 }}",
    ],
)
def test_sandbox_refuses_internals_and_huge_values(expression: str) -> None:
    with pytest.raises(TemplateSecurityError, match="not allowed"):
        apply_values({"v": expression}, {"values": {"a": 1}})


@pytest.mark.parametrize(
    "expression",
    [
        "{{ open('/etc/passwd').read() }}",
        "{{ lipsum.__globals__['os'].listdir('/') }}",
        "{{ cycler.__init__.__globals__ | list }}",
    ],
)
def test_sandbox_has_no_file_access(expression: str) -> None:
    with pytest.raises(TemplateError):
        apply_values({"v": expression}, {})


def test_invalid_expression_is_left_verbatim_like_the_reference() -> None:
    assert apply_values("{{ x y }}", {"x": 1}) == "{{ x y }}"


def test_not_set_is_falsy_and_a_singleton() -> None:
    assert not NotSet
    assert repr(NotSet) == "NotSet"
    assert type(NotSet)() is NotSet


def test_plain_dotted_paths_read_only_keys_never_attributes() -> None:
    assert apply_values({"v": "{{ values.__init__.__globals__ }}"}, {"values": {"a": 1}}) == {}
