"""Bind and coerce a flow's parameters against its signature (pydantic does the coercion)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from flowyard.errors import FlowyardError


class ParameterError(FlowyardError):
    """Parameters that do not fit the flow's signature; the message names each parameter."""


def bind(fn: Callable[..., Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``fn``: unknown/missing parameters are refused, annotated ones coerced.

    ``"3"`` becomes ``3`` for an ``int`` parameter (so ``--param n=3`` on the CLI works).
    """
    from pydantic import TypeAdapter, ValidationError

    signature = inspect.signature(fn)
    accepts_any = any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
    )
    unknown = sorted(set(parameters) - set(signature.parameters)) if not accepts_any else []
    if unknown:
        raise ParameterError(
            f"Unknown parameter(s) {', '.join(unknown)}; the flow takes: "
            f"{', '.join(signature.parameters) or 'no parameters'}."
        )
    try:
        bound = signature.bind_partial(**parameters)
    except TypeError as exc:
        raise ParameterError(str(exc)) from exc
    missing = [
        name
        for name, p in signature.parameters.items()
        if p.default is inspect.Parameter.empty
        and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        and name not in bound.arguments
    ]
    if missing:
        raise ParameterError(f"Missing required parameter(s): {', '.join(missing)}.")
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        param = signature.parameters.get(name)
        if (
            param is None
            or param.annotation is inspect.Parameter.empty
            or param.kind is inspect.Parameter.VAR_KEYWORD
        ):
            values[name] = value
            continue
        try:
            values[name] = TypeAdapter(param.annotation).validate_python(value)
        except ValidationError as exc:
            problems.append(f"{name}: {exc.errors()[0]['msg']} (got {value!r})")
        except Exception:  # an annotation pydantic cannot build a validator for: pass as is
            values[name] = value
    if problems:
        raise ParameterError("Invalid parameter(s): " + "; ".join(problems))
    return values


def parameter_schema(fn: Callable[..., Any]) -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of ``fn``'s parameters, sent to the server at deploy.

    The server checks each run's parameters against it when the run is created. A parameter
    without an annotation (or with one pydantic cannot describe) accepts anything; ``**kwargs``
    allows unknown names; parameters without a default are required.
    """
    import typing

    from pydantic import TypeAdapter

    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: describe the others
        hints = {}
    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    required: list[str] = []
    open_ended = False
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            open_ended = True
            continue
        schema: dict[str, Any] = {}
        if name in hints:
            try:
                schema = TypeAdapter(hints[name]).json_schema()
            except Exception:  # pydantic cannot describe it: accept anything
                schema = {}
        definitions.update(schema.pop("$defs", {}))
        if param.default is inspect.Parameter.empty:
            required.append(name)
        properties[name] = schema
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": open_ended,
    }
    if definitions:
        result["$defs"] = definitions
    return result


def to_json(parameters: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy of parameters (objects pydantic cannot encode become their ``repr``)."""
    from pydantic_core import to_jsonable_python

    return {k: to_jsonable_python(v, fallback=repr) for k, v in parameters.items()}
