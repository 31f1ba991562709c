"""``apply_values``: fill a template's placeholders from job variables (and list them).

A string is rendered in one of three ways:

* exactly one plain placeholder (not ``$ENV``) -> the value itself, with its type;
* exactly one Jinja expression -> the expression's value, with its type;
* anything else -> every placeholder and expression interpolated with ``str()`` in one pass.

A missing value removes the string (whole forms) or becomes ``""`` (interpolated) when
``remove_notset``; otherwise the original placeholder text stays. Internal to
:mod:`flowyard.templating`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flowyard.templating.sandbox import evaluate, is_expression
from flowyard.templating.syntax import ANY, PLAIN, NotSet, Placeholder, plain_value, walk_strings


def skipped(name: str, skip_prefixes: Iterable[str] | None) -> bool:
    """Whether a plain placeholder is left alone because its name starts with a skip prefix."""
    return bool(skip_prefixes) and any(name.startswith(p) for p in skip_prefixes or ())


def keep_or_value(text: str, value: Any, remove_notset: bool) -> Any:
    """A whole-value result: the value, or the original text when missing and not removing."""
    return text if value is NotSet and not remove_notset else value


def as_text(raw: str, value: Any, remove_notset: bool) -> str:
    """An interpolated result: ``str(value)``; a missing value is ``""`` or the placeholder text."""
    if value is NotSet:
        return "" if remove_notset else raw
    return str(value)


def whole_plain_name(text: str) -> str | None:
    """The name when ``text`` is exactly one plain, non-``$ENV`` placeholder."""
    whole = PLAIN.fullmatch(text)
    if whole and not whole.group(1).startswith("$"):
        return whole.group(1)
    return None


def whole_expression(text: str) -> str | None:
    """The expression when ``text`` is exactly one ``{{ ... }}`` that is a Jinja expression."""
    spans = list(ANY.finditer(text))
    if len(spans) != 1 or spans[0].span() != (0, len(text)) or PLAIN.fullmatch(text):
        return None
    expression = spans[0].group(1)
    return expression if is_expression(expression) else None


def render_whole_plain(
    text: str,
    name: str,
    values: Mapping[str, Any],
    remove_notset: bool,
    skip_prefixes: Iterable[str] | None,
) -> Any:
    """Render a string that is one plain placeholder: the value keeps its type."""
    if skipped(name, skip_prefixes):
        return text
    return keep_or_value(text, plain_value(name, values), remove_notset)


def render_span(
    raw: str,
    inner: str,
    values: Mapping[str, Any],
    remove_notset: bool,
    skip_prefixes: Iterable[str] | None,
) -> str:
    """Interpolate one ``{{ ... }}`` span of a longer string; text that is neither stays verbatim."""
    plain = PLAIN.fullmatch(raw)
    if plain:
        name = plain.group(1)
        if skipped(name, skip_prefixes):
            return raw
        value = plain_value(name, values)
    elif is_expression(inner):
        value = evaluate(inner, values)
    else:
        return raw
    return as_text(raw, value, remove_notset)


def interpolate(
    text: str,
    values: Mapping[str, Any],
    remove_notset: bool,
    skip_prefixes: Iterable[str] | None,
) -> str:
    """Replace every span of ``text`` in a single pass (inserted values are never re-read)."""
    return ANY.sub(
        lambda match: render_span(
            match.group(0), match.group(1), values, remove_notset, skip_prefixes
        ),
        text,
    )


def render_string(
    text: str, values: Mapping[str, Any], remove_notset: bool, skip_prefixes: Iterable[str] | None
) -> Any:
    """Render one string leaf (see the module docstring for the three forms)."""
    name = whole_plain_name(text)
    if name is not None:
        return render_whole_plain(text, name, values, remove_notset, skip_prefixes)
    expression = whole_expression(text)
    if expression is not None:
        return keep_or_value(text, evaluate(expression, values), remove_notset)
    return interpolate(text, values, remove_notset, skip_prefixes)


def apply_values(
    template: Any,
    values: Mapping[str, Any],
    remove_notset: bool = True,
    skip_prefixes: Iterable[str] | None = None,
) -> Any:
    """Fill ``{{ placeholders }}`` in ``template`` (dicts, lists, strings, scalars) from ``values``.

    :param template: JSON-like data; dict keys are never templated.
    :param values: job variables, looked up by dotted/indexed path.
    :param remove_notset: drop dict keys / list items whose whole-value placeholder is missing
        (and turn missing embedded ones into ``""``); when ``False`` leave the placeholder text.
    :param skip_prefixes: placeholder names starting with any of these are left untouched.
    :returns: a new structure; :data:`NotSet` when ``template`` itself is a missing placeholder.
    :raises TemplateSecurityError: an expression tried to reach internals or build huge values.
    :raises TemplateError: an expression failed to evaluate.
    :raises ValueError: ``template`` contains a type that is not JSON-like.
    """
    if isinstance(template, str):
        return render_string(template, values, remove_notset, skip_prefixes)
    if template is None or isinstance(template, bool | int | float):
        return template
    if isinstance(template, Mapping):
        out: dict[Any, Any] = {}
        for key, item in template.items():
            rendered = apply_values(item, values, remove_notset, skip_prefixes)
            if rendered is not NotSet:
                out[key] = rendered
        return out
    if isinstance(template, list | tuple):
        items = (apply_values(item, values, remove_notset, skip_prefixes) for item in template)
        return [item for item in items if item is not NotSet]
    raise ValueError(f"Unexpected template type {type(template).__name__}")


def find_placeholders(template: Any) -> list[Placeholder]:
    """Every distinct placeholder in ``template``, sorted by (name, kind).

    Plain names are ``standard`` (or ``env_var`` when they start with ``$``); valid Jinja
    expressions are ``expression`` with their source text as ``name``.
    """
    found: set[Placeholder] = set()
    for _, text in walk_strings(template):
        for match in ANY.finditer(text):
            plain = PLAIN.fullmatch(match.group(0))
            if plain:
                name = plain.group(1)
                found.add(Placeholder(name, "env_var" if name.startswith("$") else "standard"))
            elif is_expression(match.group(1)):
                found.add(Placeholder(match.group(1).strip(), "expression"))
    return sorted(found)
