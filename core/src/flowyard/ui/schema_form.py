"""A form generated from a base job template's ``variables`` JSON Schema, and back.

Each top-level variable becomes one field whose widget follows its schema: ``string`` -> text,
``integer``/``number`` -> number, ``boolean`` -> select true/false, ``enum`` -> select,
``anyOf [X, null]`` (pydantic's Optional) -> X's widget where blank means null. Anything else
(objects, arrays, other unions) falls back to a JSON text field for that variable only, so the
editor never hides a variable it cannot express. Editing a field rewrites that variable's
``default``; the ``job_configuration`` is untouched.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

WIDGETS = ("text", "number", "integer", "boolean", "select", "json")


@dataclass
class FormField:
    """One variable as the editor shows it."""

    name: str
    title: str
    description: str
    type_label: str
    widget: str
    value: str
    nullable: bool
    required: bool
    options: list[str] = field(default_factory=list)
    has_default: bool = False
    errors: list[str] = field(default_factory=list)


def _scalar_schema(prop: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """Unwrap ``anyOf: [X, {type: null}]`` into (X, nullable)."""
    variants = prop.get("anyOf") or prop.get("oneOf")
    if isinstance(variants, list) and len(variants) == 2:
        non_null = [v for v in variants if not (isinstance(v, Mapping) and v.get("type") == "null")]
        if len(non_null) == 1 and isinstance(non_null[0], Mapping):
            return non_null[0], True
    types = prop.get("type")
    if isinstance(types, list) and len(types) == 2 and "null" in types:
        other = next(t for t in types if t != "null")
        return {**prop, "type": other}, True
    return prop, False


def _widget(schema: Mapping[str, Any]) -> str:
    if isinstance(schema.get("enum"), list) and all(
        isinstance(v, str | int | float | bool) for v in schema["enum"]
    ):
        return "select"
    kind = schema.get("type")
    if kind == "string":
        return "text"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "boolean"
    return "json"


def _type_label(prop: Mapping[str, Any], schema: Mapping[str, Any], nullable: bool) -> str:
    kind = schema.get("type") or ("enum" if "enum" in schema else "any")
    if "anyOf" in prop and not nullable:
        kind = " | ".join(str(v.get("type", "?")) for v in prop["anyOf"] if isinstance(v, Mapping))
    label = "/".join(kind) if isinstance(kind, list) else str(kind)
    return f"{label} or null" if nullable else label


def _show(value: Any, widget: str) -> str:
    if value is None:
        return ""
    if widget == "json":
        return json.dumps(value, indent=2)
    if widget == "boolean":
        return "true" if value else "false"
    if widget == "select":
        return json.dumps(value) if not isinstance(value, str) else value
    return str(value)


def fields_for(template: Mapping[str, Any]) -> list[FormField]:
    """The form's fields for a template, in the schema's property order."""
    variables = template.get("variables") or {}
    properties = variables.get("properties") or {}
    required = set(variables.get("required") or [])
    out = []
    for name, prop in properties.items():
        if not isinstance(prop, Mapping):
            prop = {}
        schema, nullable = _scalar_schema(prop)
        widget = _widget(schema)
        options = [v if isinstance(v, str) else json.dumps(v) for v in (schema.get("enum") or [])]
        out.append(
            FormField(
                name=name,
                title=str(prop.get("title") or name.replace("_", " ").title()),
                description=str(prop.get("description") or ""),
                type_label=_type_label(prop, schema, nullable),
                widget=widget,
                value=_show(prop.get("default"), widget),
                nullable=nullable,
                required=name in required,
                options=options,
                has_default="default" in prop,
            )
        )
    return out


class FormInputError(ValueError):
    """A field's text could not be read as its type (the message names the fix)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _parse(f: FormField, text: str) -> tuple[bool, Any]:
    """(set a default?, value) for one field's submitted text."""
    text = text.strip()
    if text == "":
        # blank: null for nullable variables, otherwise "no default"
        return (True, None) if f.nullable and f.has_default else (False, None)
    if f.widget == "integer":
        try:
            return True, int(text)
        except ValueError:
            raise FormInputError(f.name, f"'{text}' is not a whole number") from None
    if f.widget == "number":
        try:
            return True, float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            raise FormInputError(f.name, f"'{text}' is not a number") from None
    if f.widget == "boolean":
        return True, text == "true"
    if f.widget == "select":
        return True, text if text in f.options and not _is_json_option(text) else json.loads(text)
    if f.widget == "json":
        try:
            return True, json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormInputError(
                f.name, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from None
    return True, text


def _is_json_option(text: str) -> bool:
    try:
        return not isinstance(json.loads(text), str)
    except json.JSONDecodeError:
        return False


def apply_form(
    template: Mapping[str, Any], form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A copy of ``template`` with each variable's default taken from ``form`` (``var.<name>``).

    Returns (new template, errors by variable name) — parse errors only; the schema validation
    is the server's (``validate_base_job_template``).
    """
    result = copy.deepcopy(dict(template))
    properties = (result.get("variables") or {}).get("properties") or {}
    errors: dict[str, list[str]] = {}
    for f in fields_for(template):
        key = f"var.{f.name}"
        if key not in form or not isinstance(properties.get(f.name), dict):
            continue
        try:
            has, value = _parse(f, form[key])
        except FormInputError as exc:
            errors.setdefault(f.name, []).append(str(exc))
            continue
        if has:
            properties[f.name]["default"] = value
        else:
            properties[f.name].pop("default", None)
    return result, errors


def errors_by_variable(errors: list[dict[str, str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Split server validation errors into per-variable ones and the rest (shown at the top).

    The server names fields like ``base_job_template.variables.properties.env.default.FOO``.
    """
    by_var: dict[str, list[str]] = {}
    other: list[str] = []
    for error in errors:
        name = error.get("field", "")
        marker = "variables.properties."
        if marker in name:
            rest = name.split(marker, 1)[1]
            var, _, sub = rest.partition(".")
            detail = ".".join(part for part in sub.split(".") if part != "default")
            message = f"{detail}: {error['message']}" if detail else error["message"]
            by_var.setdefault(var, []).append(message)
        else:
            other.append(
                f"{name.removeprefix('base_job_template.') or 'template'}: {error['message']}"
            )
    return by_var, other


def schema_fields(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[FormField]:
    """Fields for an object schema (e.g. a flow's parameters), showing ``values`` where given and
    the schema's defaults otherwise."""
    properties = {
        name: ({**prop, "default": values[name]} if name in values else prop)
        for name, prop in (schema.get("properties") or {}).items()
        if isinstance(prop, Mapping)
    }
    return fields_for({"variables": {**schema, "properties": properties}})


def values_from_form(
    schema: Mapping[str, Any], form: Mapping[str, str], prefix: str
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Values typed into ``schema_fields`` (inputs named ``<prefix><name>``); a blank field is
    left out, so the flow's own default applies. Returns (values, parse errors by name)."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in schema_fields(schema, {}):
        text = form.get(prefix + f.name, "")
        if not text.strip():
            continue
        try:
            _, values[f.name] = _parse(f, text)
        except FormInputError as exc:
            errors.setdefault(f.name, []).append(str(exc))
    return values, errors


def parameter_schema_of(deployment: Any) -> dict[str, Any] | None:
    """The flow's parameter JSON Schema if the server stored one with the deployment."""
    for name in ("parameter_schema", "parameter_openapi_schema"):
        schema = getattr(deployment, name, None)
        if isinstance(schema, Mapping) and isinstance(schema.get("properties"), Mapping):
            return dict(schema)
    return None
