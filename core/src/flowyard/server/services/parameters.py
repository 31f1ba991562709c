"""Flow-run parameters checked against the parameter schema the flow sent at deploy."""

from __future__ import annotations

from typing import Any

from flowyard.server.errors import Invalid


def _problems(
    schema: dict[str, Any], values: dict[str, Any], enforce_required: bool
) -> list[dict[str, str]]:
    from jsonschema import Draft202012Validator

    known = ", ".join(schema.get("properties", {})) or "no parameters"
    problems: list[dict[str, str]] = []
    validator = Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            if not enforce_required:
                continue
            name = str(error.message).split("'")[1] if "'" in error.message else path
            problems.append({"field": name, "message": "missing (the flow has no default for it)"})
        elif error.validator == "additionalProperties" and not path:
            for name in sorted(set(values) - set(schema.get("properties", {}))):
                problems.append(
                    {"field": name, "message": f"unknown parameter; the flow takes: {known}"}
                )
        else:
            problems.append({"field": path or "parameters", "message": error.message})
    return problems


def check_parameters(
    schema: dict[str, Any], values: dict[str, Any], *, what: str, enforce_required: bool = True
) -> None:
    """422 naming each wrong, unknown or missing parameter of ``values``.

    :param schema: the JSON Schema (Draft 2020-12) of the flow's parameters, from its deploy.
    :param enforce_required: False for a deployment's defaults (a run may supply the rest).
    """
    problems = _problems(schema, values, enforce_required)
    if problems:
        raise Invalid(
            f"Invalid parameters for {what}: "
            + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
            field="parameters",
            errors=[
                {"field": f"parameters.{p['field']}", "message": p["message"]} for p in problems
            ],
        )
