"""Turn pydantic's JSON Schema of a variables model into a base job template's ``variables``.

The result is what flowyard's template validator and a Prefect-style UI read: an ``object``
schema with ``properties`` (each with a title, its description and default), ``required`` when
a variable has no default, and ``$defs`` only for nested models that are still referenced.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

_DEFS_PREFIX = "#/$defs/"


def _enum(definition: Any) -> Mapping[str, Any] | None:
    """``definition`` when it is an enum's schema (not a nested model's), else None."""
    if isinstance(definition, Mapping) and "enum" in definition:
        return definition
    return None


def _inline_enums(node: Any, defs: Mapping[str, Any]) -> Any:
    """Replace every ``{"$ref": "#/$defs/E", ...}`` that points at an enum with the enum itself."""
    if isinstance(node, list):
        return [_inline_enums(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _inline_enums(value, defs) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
        target = _enum(defs.get(ref[len(_DEFS_PREFIX) :]))
        if target is not None:
            del out["$ref"]
            inlined = {k: copy.deepcopy(v) for k, v in target.items() if k != "title"}
            out = {**inlined, **out}
    return out


def _drop_open_objects(node: Any) -> Any:
    """``additionalProperties: true`` is JSON Schema's default: leave it out."""
    if isinstance(node, list):
        return [_drop_open_objects(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _drop_open_objects(value)
        for key, value in node.items()
        if not (key == "additionalProperties" and value is True)
    }


def _refs(node: Any) -> set[str]:
    """Names of the ``$defs`` entries ``node`` refers to directly."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _refs(item)
    elif isinstance(node, dict):
        for value in node.values():
            found |= _refs(value)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            found.add(ref[len(_DEFS_PREFIX) :])
    return found


def _referenced(root: Any, defs: Mapping[str, Any]) -> set[str]:
    """Names of the definitions ``root`` refers to, directly or through other definitions."""
    seen: set[str] = set()
    pending = _refs(root)
    while pending:
        name = pending.pop()
        if name in seen or name not in defs:
            continue
        seen.add(name)
        pending |= _refs(defs[name])
    return seen


def clean_variables_schema(schema: Mapping[str, Any], titles: Mapping[str, str]) -> dict[str, Any]:
    """Clean pydantic's ``model_json_schema()`` of a variables model.

    :param schema: the model's JSON Schema (validation mode).
    :param titles: a title for each property, used where pydantic gives none (references).
    :returns: ``{"type": "object", "properties": ..., ["required": ...], ["$defs": ...]}``.
    """
    defs: Mapping[str, Any] = schema.get("$defs", {})
    properties: dict[str, Any] = _drop_open_objects(
        _inline_enums(dict(schema.get("properties", {})), defs)
    )
    for name, prop in properties.items():
        prop.setdefault("title", titles.get(name, name))
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if schema.get("required"):
        out["required"] = list(schema["required"])
    nested = {name: _drop_open_objects(_inline_enums(d, defs)) for name, d in defs.items()}
    used = _referenced(properties, nested)
    if used:
        out["$defs"] = {name: nested[name] for name in sorted(used)}
    return out
