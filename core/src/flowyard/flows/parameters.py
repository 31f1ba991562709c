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


def to_json(parameters: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy of parameters (objects pydantic cannot encode become their ``repr``)."""
    from pydantic_core import to_jsonable_python

    return {k: to_jsonable_python(v, fallback=repr) for k, v in parameters.items()}
