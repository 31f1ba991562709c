"""apply_values reproduces vectors A01-A40 (docs/templating.md §3) for plain placeholders.

A35/A36 (Prefect block and variable placeholders) are Prefect features flowyard does not copy;
those names are ordinary placeholders here.
"""

from __future__ import annotations

from typing import Any

import pytest
from flowyard.templating import NotSet, apply_values

VECTORS: list[tuple[str, Any, dict[str, Any], dict[str, Any], Any]] = [
    ("A01", {"a": "{{ x }}"}, {"x": 5}, {}, {"a": 5}),
    ("A02", {"flag": "{{ f }}"}, {"f": False}, {}, {"flag": False}),
    ("A03", {"ttl": "{{ t }}"}, {"t": 1.5}, {}, {"ttl": 1.5}),
    (
        "A04",
        {"env": "{{ env }}"},
        {"env": {"A": "1", "B": None}},
        {},
        {"env": {"A": "1", "B": None}},
    ),
    (
        "A05",
        {"args": "{{ cmd }}"},
        {"cmd": ["python", "-m", "x"]},
        {},
        {"args": ["python", "-m", "x"]},
    ),
    ("A06", {"generateName": "{{ name }}-"}, {"name": "job"}, {}, {"generateName": "job-"}),
    ("A07", "port-{{ p }}", {"p": 8080}, {}, "port-8080"),
    ("A08", "x={{ d }}", {"d": {"a": 1, "b": True}}, {}, "x={'a': 1, 'b': True}"),
    ("A09", "pre-{{ x }}", {"x": None}, {}, "pre-None"),
    ("A10", {"a": "{{ x }}", "b": 1}, {"x": None}, {}, {"a": None, "b": 1}),
    ("A11", {"a": "{{ missing }}", "b": 1}, {}, {}, {"b": 1}),
    ("A12", "{{ missing }}", {}, {}, NotSet),
    ("A13", {"generateName": "{{ name }}-"}, {}, {}, {"generateName": "-"}),
    ("A14", {"a": "{{ missing }}"}, {}, {"remove_notset": False}, {"a": "{{ missing }}"}),
    ("A15", "{{ missing }}-{{ name }}", {"name": "n"}, {"remove_notset": False}, "{{ missing }}-n"),
    ("A16", ["{{ a }}", "{{ missing }}", "lit", 3], {"a": "A"}, {}, ["A", "lit", 3]),
    (
        "A17",
        {"spec": {"template": {"image": "{{ image }}", "replicas": 1}}},
        {"image": "img:1"},
        {},
        {"spec": {"template": {"image": "img:1", "replicas": 1}}},
    ),
    ("A18", {"v": "{{ a.b }}"}, {"a": {"b": 3}}, {}, {"v": 3}),
    ("A19", {"v": "{{ a.b[1] }}"}, {"a": {"b": [10, 20]}}, {}, {"v": 20}),
    ("A20", {"v": "{{ years.2026 }}"}, {"years": {"2026": 42}}, {}, {"v": 42}),
    ("A21", "{{ a }}:{{ b }}", {"a": "x", "b": 2}, {}, "x:2"),
    ("A22", ["{{x}}", "{{     x    }}"], {"x": 7}, {}, [7, 7]),
    ("A23", {"v": "{{ my-var }}"}, {"my-var": "ok"}, {}, {"v": "ok"}),
    ("A24", {"v": "{{ x y }}"}, {"x": 1}, {}, {"v": "{{ x y }}"}),
    ("A25", "{{ a }}/{{ a }}", {"a": "z"}, {}, "z/z"),
    ("A26", "{{ a }}-suffix", {"a": "{{ b }}", "b": "B"}, {}, "{{ b }}-suffix"),
    ("A27", {"v": "{{ a }}"}, {"a": "{{ b }}", "b": "B"}, {}, {"v": "{{ b }}"}),
    ("A28", {"{{ k }}": "{{ k }}"}, {"k": "v"}, {}, {"{{ k }}": "v"}),
    (
        "A29",
        {"i": 1, "f": 2.5, "b": True, "n": None},
        {},
        {},
        {"i": 1, "f": 2.5, "b": True, "n": None},
    ),
    ("A30", {"v": "{{ x }}"}, {"x": ""}, {}, {"v": ""}),
    ("A31", {"v": "{{ x }}"}, {"x": {}}, {}, {"v": {}}),
    ("A32", {"v": "{{ $PF_TEST_ENV }}"}, {}, {}, {"v": "from-env"}),
    ("A33", "a-{{ $PF_TEST_ENV }}-b", {}, {}, "a-from-env-b"),
    ("A34", {"v": "{{ $PF_MISSING_ENV }}"}, {}, {}, {"v": ""}),
    (
        "A37",
        {"v": "{{ ctx.flow.name }}-{{ a }}"},
        {"a": "A"},
        {"skip_prefixes": ["ctx."]},
        {"v": "{{ ctx.flow.name }}-A"},
    ),
    ("A38", {"v": "{{ env.FOO }}"}, {"env.FOO": "bar"}, {}, {}),
    ("A39", ["{{ t }}"], {"t": True}, {}, [True]),
    ("A40", 5, {"x": 1}, {}, 5),
]


@pytest.mark.parametrize(
    ("vector", "template", "values", "kwargs", "expected"), VECTORS, ids=[v[0] for v in VECTORS]
)
def test_reference_vector(
    monkeypatch: pytest.MonkeyPatch,
    vector: str,
    template: Any,
    values: dict[str, Any],
    kwargs: dict[str, Any],
    expected: Any,
) -> None:
    monkeypatch.setenv("PF_TEST_ENV", "from-env")
    monkeypatch.delenv("PF_MISSING_ENV", raising=False)
    assert apply_values(template, values, **kwargs) == expected


def test_whole_value_types_are_preserved_exactly() -> None:
    result = apply_values({"a": "{{ x }}"}, {"x": 1})
    assert type(result["a"]) is int
    assert apply_values({"b": "{{ y }}"}, {"y": True})["b"] is True


def test_a_tuple_template_renders_like_a_list() -> None:
    assert apply_values(("{{ a }}", "{{ missing }}"), {"a": 1}) == [1]


def test_unsupported_template_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="Unexpected template type set"):
        apply_values({"a": {1, 2}}, {})
