"""Merging job-variable layers and building a run's job configuration.

Internal to :mod:`flowyard.templating`; import the public names from there.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from flowyard.templating.render import apply_values
from flowyard.templating.sandbox import render_budget

PER_KEY_BY_DEFAULT = frozenset({"env", "labels"})
"""Variables merged per key unless their schema says otherwise."""


def expand_dotted(values: Mapping[str, Any], declared: Iterable[str] = ()) -> dict[str, Any]:
    """``{"env.FOO": 1, "env": {"X": 2}}`` -> ``{"env": {"FOO": 1, "X": 2}}`` (nested form wins).

    Keys in ``declared`` (variables whose own name contains a dot) are kept as they are.
    """
    declared = set(declared)
    nested: dict[str, Any] = {}
    dotted: dict[str, Any] = {}
    for key, value in values.items():
        if "." in key and key not in declared:
            head, _, rest = key.partition(".")
            target = dotted.setdefault(head, {})
            if isinstance(target, dict):
                _set_path(target, rest.split("."), value)
        else:
            nested[key] = value
    for key, value in dotted.items():
        if isinstance(nested.get(key), Mapping):
            nested[key] = _deep_merge(value, nested[key])
        elif key not in nested:
            nested[key] = value
    return nested


def _set_path(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[parts[-1]] = value


def _deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _strategy(name: str, prop: Any) -> str:
    declared = prop.get("x-merge") if isinstance(prop, Mapping) else None
    if declared in {"deep", "keys", "replace"}:
        return str(declared)
    return "keys" if name in PER_KEY_BY_DEFAULT else "replace"


def merge_job_variables(
    template: Mapping[str, Any], *layers: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Merge job variables: schema defaults < each layer in order (pool < deployment < flow run).

    ``env`` and ``labels`` merge per key; a property may declare ``"x-merge": "deep"`` (recursive
    merge), ``"keys"`` (one level) or ``"replace"``. Null defaults are skipped so that their
    placeholders stay missing. Dotted keys (``env.FOO``) are expanded within each layer.
    """
    variables = (template or {}).get("variables") or {}
    properties: Mapping[str, Any] = variables.get("properties") or {}
    merged: dict[str, Any] = {
        name: copy.deepcopy(prop["default"])
        for name, prop in properties.items()
        if isinstance(prop, Mapping) and prop.get("default") is not None
    }
    for layer in layers:
        for key, value in expand_dotted(layer or {}, properties).items():
            strategy = _strategy(key, properties.get(key))
            current = merged.get(key)
            if strategy == "keys" and isinstance(current, Mapping) and isinstance(value, Mapping):
                merged[key] = {**current, **copy.deepcopy(dict(value))}
            elif strategy == "deep":
                merged[key] = _deep_merge(current, value) if key in merged else copy.deepcopy(value)
            else:
                merged[key] = copy.deepcopy(value)
    return merged


def build_job_configuration(
    template: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """Render a base job template's ``job_configuration`` with merged job variables.

    A literal ``env``/``labels`` object in ``job_configuration`` (a hard-coded pool env) is kept
    and the merged variable of the same name is layered on top per key (docs/templating.md,
    "Merging"). The whole render shares one wall-clock budget (the ``template_render_seconds``
    setting).
    """
    job_configuration = copy.deepcopy(dict((template or {}).get("job_configuration") or {}))
    for key in PER_KEY_BY_DEFAULT:
        literal = job_configuration.get(key)
        if isinstance(literal, Mapping) and isinstance(values.get(key), Mapping):
            job_configuration[key] = {**literal, **values[key]}
    with render_budget():  # one wall-clock budget for every placeholder of the template
        rendered = apply_values(job_configuration, values)
    return rendered if isinstance(rendered, dict) else {}
