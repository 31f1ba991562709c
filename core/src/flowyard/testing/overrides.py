"""Override values for a base job template's variables, generated from their JSON Schema.

The conformance kit renders a type's template once per variable with that variable set to a
value that differs from its default and satisfies its schema. A schema that cannot be satisfied
by a generic value (a ``pattern``, a ``format`` the kit does not know, a value the type checks
beyond its schema) takes the first of its ``examples``, or an override the type's test class gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KIT_KEY = "flowyard_conformance"


class NoOverrideValue(ValueError):
    """The kit cannot invent a value for this schema; the message says what to provide."""


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/X`` or ``#/definitions/X``)."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        if not isinstance(node, Mapping) or part not in node:
            raise NoOverrideValue(f"cannot resolve $ref {ref!r}")
        node = node[part]
    if not isinstance(node, Mapping):
        raise NoOverrideValue(f"$ref {ref!r} does not name a schema")
    return _resolve(node, root)


def _non_null_branch(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first branch of ``anyOf``/``oneOf`` (or of a type list) that is not ``null``."""
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list):
            for branch in branches:
                resolved = _resolve(branch, root)
                if resolved.get("type") != "null":
                    return resolved
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return {**schema, "type": non_null[0] if non_null else "null"}
    return schema


def _number(schema: Mapping[str, Any], default: Any, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    step = 1 if integer else 0.5
    candidates = [
        (default + step) if isinstance(default, int | float) else None,
        (default - step) if isinstance(default, int | float) else None,
        (low + step) if low is not None else None,
        (high - step) if high is not None else None,
        3 if integer else 2.5,
    ]
    for value in candidates:
        if value is None or value == default:
            continue
        if schema.get("exclusiveMinimum") is not None and value <= schema["exclusiveMinimum"]:
            continue
        if schema.get("exclusiveMaximum") is not None and value >= schema["exclusiveMaximum"]:
            continue
        if schema.get("minimum") is not None and value < schema["minimum"]:
            continue
        if schema.get("maximum") is not None and value > schema["maximum"]:
            continue
        return int(value) if integer else float(value)
    raise NoOverrideValue("no number within its bounds differs from the default")


def _string(name: str, schema: Mapping[str, Any]) -> str:
    if "pattern" in schema:
        raise NoOverrideValue(f"a value matching pattern {schema['pattern']!r} is needed")
    known_formats = {
        None: f"kit-{name}".replace("_", "-"),
        "path": "/tmp/flowyard-conformance",
        "date-time": "2030-01-02T03:04:05+00:00",
        "uri": "https://flowyard-conformance.example.com/",
    }
    fmt = schema.get("format")
    if fmt not in known_formats:
        raise NoOverrideValue(f"a value in format {fmt!r} is needed")
    value = known_formats[fmt]
    minimum, maximum = schema.get("minLength", 0), schema.get("maxLength")
    value = value.ljust(minimum, "x")
    return value[:maximum] if maximum is not None else value


def override_value(name: str, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """A value for variable ``name`` that satisfies ``schema`` and differs from its default.

    :param root: the whole ``variables`` schema (for ``$ref`` look-ups).
    :raises NoOverrideValue: the schema needs a value the kit cannot invent.
    """
    resolved = _resolve(schema, root)
    default = resolved.get("default", schema.get("default"))
    examples = [e for e in resolved.get("examples", []) if e != default]
    if examples:
        return examples[0]
    if "const" in resolved:
        return resolved["const"]
    if "enum" in resolved:
        choices = [v for v in resolved["enum"] if v != default] or list(resolved["enum"])
        return choices[0]
    branch = _non_null_branch(resolved, root)
    if branch is not resolved:
        return override_value(name, {**branch, "default": default}, root)
    kind = resolved.get("type")
    if kind == "string":
        return _string(name, resolved)
    if kind in ("integer", "number"):
        return _number(resolved, default, integer=kind == "integer")
    if kind == "boolean":
        return not bool(default)
    if kind == "null":
        return None
    if kind == "array":
        items = resolved.get("items")
        item = override_value(
            name, items if isinstance(items, Mapping) else {"type": "string"}, root
        )
        return [item] * max(1, int(resolved.get("minItems", 1)))
    if kind == "object" or kind is None:
        return _object(name, resolved, root)
    raise NoOverrideValue(f"unknown JSON Schema type {kind!r}")


def _object(name: str, schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and properties:
        return {key: override_value(key, prop, root) for key, prop in properties.items()}
    extra = schema.get("additionalProperties")
    value = (
        override_value(name, extra, root) if isinstance(extra, Mapping) and extra else f"kit-{name}"
    )
    return {KIT_KEY: value}


def override_values(
    variables: Mapping[str, Any], given: Mapping[str, Any]
) -> dict[str, Any | NoOverrideValue]:
    """One override per declared variable: ``given[name]`` when present, else generated.

    A variable the kit cannot generate a value for maps to the :class:`NoOverrideValue` error, so
    the caller can report every such variable at once.
    """
    properties = variables.get("properties") or {}
    values: dict[str, Any | NoOverrideValue] = {}
    for name, schema in properties.items():
        if name in given:
            values[name] = given[name]
            continue
        try:
            values[name] = override_value(name, schema, variables)
        except NoOverrideValue as exc:
            values[name] = exc
    return values


def appears_in(value: Any, tree: Any) -> bool:
    """Whether ``value`` reached ``tree``: equal, a string inside a string, or a dict's items."""
    if tree == value:
        return True
    if isinstance(value, str) and isinstance(tree, str) and value in tree:
        return True
    if isinstance(value, int | float) and isinstance(tree, str) and str(value) in tree:
        return True
    if (
        isinstance(value, Mapping)
        and isinstance(tree, Mapping)
        and value
        and all(k in tree and appears_in(v, tree[k]) for k, v in value.items())
    ):
        return True
    if isinstance(tree, Mapping):
        return any(appears_in(value, child) for child in tree.values())
    if isinstance(tree, list):
        return any(appears_in(value, child) for child in tree)
    return False
