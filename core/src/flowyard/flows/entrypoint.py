"""Find a flow from an entrypoint: ``path/to/file.py:name`` or ``package.module:name``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from flowyard.errors import FlowyardError


class EntrypointError(FlowyardError):
    """The entrypoint cannot be loaded; the message says what is wrong and where it looked."""


def entrypoint_for(fn: Any, base: Path) -> tuple[str, str]:
    """``(path, entrypoint)`` for a module-level function, relative to ``base`` when inside it."""
    import inspect

    source = inspect.getsourcefile(fn)
    if source is None:
        raise EntrypointError(
            f"Cannot find the source file of {fn.__qualname__!r}; deploy flows defined in a file."
        )
    if "<locals>" in fn.__qualname__:
        raise EntrypointError(
            f"{fn.__qualname__!r} is defined inside a function; deploy a module-level flow."
        )
    file = Path(source).resolve()
    base = base.resolve()
    if file.is_relative_to(base):
        return str(base), f"{file.relative_to(base)}:{fn.__qualname__}"
    return str(file.parent), f"{file.name}:{fn.__qualname__}"


def load(entrypoint: str, path: str | None = None) -> Any:
    """Import the object an entrypoint names; ``path`` is where relative files live."""
    target, sep, attr = entrypoint.rpartition(":")
    if not sep or not target or not attr:
        raise EntrypointError(
            f"entrypoint {entrypoint!r} must look like 'flows/etl.py:my_flow' or 'package.module:my_flow'"
        )
    base = Path(path) if path else Path.cwd()
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    if target.endswith(".py"):
        file = (base / target).resolve()
        if not file.is_file():
            raise EntrypointError(f"entrypoint file {target!r} not found in {str(base)!r}")
        spec = importlib.util.spec_from_file_location(f"__flowyard_flow__.{file.stem}", file)
        if spec is None or spec.loader is None:
            raise EntrypointError(f"cannot import {str(file)!r}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        if str(file.parent) not in sys.path:
            sys.path.insert(0, str(file.parent))
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise EntrypointError(f"cannot import module {target!r}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise EntrypointError(f"{target!r} has no attribute {attr!r}") from exc
    return obj
