"""Secret references in job templates: ``{{ secret('aws-prod') }}``.

Rendering never sees a secret's value: ``secret(name)`` renders to the reference
``flowyard-secret://<name>``. Whoever submits the job (a pull worker, through
``GET /work_pools/{pool}/secrets/{name}``) swaps each reference for the value in memory, just
before the type's ``render`` hook; the stored template, deployment and run only hold names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

PREFIX = "flowyard-secret://"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REFERENCE = re.compile(re.escape(PREFIX) + r"([A-Za-z0-9][A-Za-z0-9._-]*)")


def secret_reference(name: object) -> str:
    """The template function ``secret(name)``: a reference, never the value."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(
            f"secret({name!r}): a secret name is letters, digits, '.', '_' or '-' "
            "(as `flowyard secret ls` shows it)"
        )
    return PREFIX + name


def referenced_names(document: Any) -> set[str]:
    """The secret names referenced anywhere in a rendered document (strings in dicts/lists)."""
    names: set[str] = set()
    if isinstance(document, str):
        names.update(_REFERENCE.findall(document))
    elif isinstance(document, Mapping):
        for value in document.values():
            names |= referenced_names(value)
    elif isinstance(document, list):
        for item in document:
            names |= referenced_names(item)
    return names


def resolve(document: Any, value_of: Callable[[str], str]) -> Any:
    """A copy of ``document`` with every reference replaced by ``value_of(name)``."""
    if isinstance(document, str):
        return _REFERENCE.sub(lambda match: value_of(match.group(1)), document)
    if isinstance(document, Mapping):
        return {key: resolve(value, value_of) for key, value in document.items()}
    if isinstance(document, list):
        return [resolve(item, value_of) for item in document]
    return document
