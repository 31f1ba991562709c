"""Parse ``--param k=v`` / ``--job-variable k=v`` options (values are JSON when they parse as JSON)."""

from __future__ import annotations

import json
from typing import Any

from flowyard.cli.output import fail


def parse_pairs(pairs: list[str], option: str) -> dict[str, Any]:
    """``["n=3", "name=ann", "env.DEBUG=1"]`` → ``{"n": 3, "name": "ann", "env": {"DEBUG": 1}}``.

    ``3``, ``true``, ``[1, 2]`` and ``{"a": 1}`` are decoded as JSON; anything else stays a string.
    A dotted key sets a nested value, so ``env.DEBUG=1`` adds one environment variable.
    """
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            fail(f"{option} {pair!r} must look like key=value")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        target = result
        parts = key.strip().split(".")
        for part in parts[:-1]:
            nested = target.setdefault(part, {})
            if not isinstance(nested, dict):
                fail(f"{option} {pair!r} conflicts with an earlier value of {part!r}")
            target = nested
        target[parts[-1]] = value
    return result
