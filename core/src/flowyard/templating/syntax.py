"""The placeholder grammar: what ``{{ ... }}`` text is, and how a plain name finds its value.

Internal to :mod:`flowyard.templating`; import the public names from there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final


class _NotSetType:
    """Sentinel for "no value": a missing whole-value placeholder at the top level."""

    _instance: _NotSetType | None = None

    def __new__(cls) -> _NotSetType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NotSet"

    def __bool__(self) -> bool:
        return False


NotSet: Final = _NotSetType()

PLAIN = re.compile(r"\{\{\s*([\w.\-\[\]$]+)\s*\}\}")
"""A plain placeholder: a name of word characters, ``.``, ``-``, ``[``, ``]`` and ``$``."""
ANY = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
"""Any ``{{ ... }}`` span (plain placeholder, Jinja expression, or neither)."""
_PATH_PART = re.compile(r"[^.\[\]]+")


@dataclass(frozen=True, order=True)
class Placeholder:
    """One ``{{ ... }}`` occurrence: ``kind`` is ``standard``, ``env_var`` or ``expression``."""

    name: str
    kind: str


def lookup(values: Any, path: str) -> Any:
    """Resolve ``a.b[1]`` / ``a.b.1`` in ``values``; :data:`NotSet` when any step is missing.

    Only mapping keys and list indexes are read, never attributes. On a mapping the exact string
    key is tried first, then its canonical integer form (``"1"``, not ``"01"``).
    """
    current = values
    for part in _PATH_PART.findall(path):
        try:
            if isinstance(current, Mapping):
                if part in current:
                    current = current[part]
                    continue
                as_int = int(part)
                if str(as_int) != part:
                    return NotSet
                current = current[as_int]
            elif isinstance(current, list | tuple):
                as_int = int(part)
                if str(as_int) != part:
                    return NotSet
                current = current[as_int]
            else:
                return NotSet
        except (KeyError, IndexError, TypeError, ValueError):
            return NotSet
    return current


def plain_value(name: str, values: Mapping[str, Any]) -> Any:
    """The value of a plain placeholder: ``$NAME`` reads the environment, others ``values``."""
    if name.startswith("$"):
        return os.environ.get(name[1:], NotSet)
    return lookup(values, name)


def root_name(path: str) -> str:
    """The variable a plain placeholder reads: ``a`` for ``a.b[1]``."""
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def walk_strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf of JSON-like ``node`` with its path (``a.b[1]``); keys are skipped."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, item in node.items():
            yield from walk_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            yield from walk_strings(item, f"{path}[{index}]")
