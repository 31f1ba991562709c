"""Property-based tests: invariants of apply_values over generated templates and values."""

from __future__ import annotations

import json
from typing import Any

from flowyard.templating import NotSet, apply_values, merge_job_variables
from hypothesis import given
from hypothesis import strategies as st

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
plain_text = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=12)


@given(json_values)
def test_templates_without_placeholders_are_unchanged(template: Any) -> None:
    assert apply_values(template, {"x": 1}) == (
        template if not isinstance(template, tuple) else list(template)
    )


@given(names, json_values)
def test_whole_value_placeholder_returns_the_value_itself(name: str, value: Any) -> None:
    assert apply_values({"k": "{{ " + name + " }}"}, {name: value}) == {"k": value}


@given(plain_text, names, scalars, plain_text)
def test_embedded_placeholder_is_str_interpolation(
    prefix: str, name: str, value: Any, suffix: str
) -> None:
    text = prefix + "{{ " + name + " }}" + suffix
    if not (prefix or suffix):
        return
    assert apply_values(text, {name: value}) == prefix + str(value) + suffix


@given(st.dictionaries(names, json_values, max_size=4), names)
def test_missing_whole_values_disappear(values: dict[str, Any], name: str) -> None:
    values.pop(name, None)
    assert apply_values({"k": "{{ " + name + " }}", "keep": 1}, values) == {"keep": 1}
    assert apply_values("{{ " + name + " }}", values) is NotSet


@given(st.dictionaries(names, json_values, max_size=4))
def test_rendering_is_json_serialisable_and_idempotent_without_placeholders(
    values: dict[str, Any],
) -> None:
    template = {k: "{{ " + k + " }}" for k in values}
    once = apply_values(template, values)
    json.dumps(once)
    assert once == values


@given(
    st.dictionaries(names, st.text(max_size=5), max_size=4),
    st.dictionaries(names, st.text(max_size=5), max_size=4),
)
def test_env_merge_is_a_per_key_union_with_later_layers_winning(
    first: dict[str, str], second: dict[str, str]
) -> None:
    template = {"job_configuration": {}, "variables": {"properties": {"env": {"type": "object"}}}}
    assert merge_job_variables(template, {"env": first}, {"env": second})["env"] == {
        **first,
        **second,
    }
