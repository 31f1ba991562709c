"""Known worker types and the distributions that provide them (data, overridable).

The bundled table (``registry_data/worker_types.json``) carries each type's distribution name and
default base job template, so ``work-pool create --type kubernetes`` and
``get-default-base-job-template --type ecs`` work where the package is not installed. A company
adds or overrides types with JSON files of the same shape named in ``FLOWYARD_WORKER_REGISTRY``
(``os.pathsep``-separated); later files win.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from flowyard.errors import FlowyardError

ENV_VAR = "FLOWYARD_WORKER_REGISTRY"


@dataclass(frozen=True)
class KnownType:
    """One registry entry: a worker type, its distribution and its default template."""

    name: str
    distribution: str
    description: str = ""
    default_base_job_template: dict[str, Any] = field(default_factory=dict)
    source: str = "bundled"
    index_url: str | None = None
    """The package index that serves ``distribution`` (a known source); None: not published."""


class RegistryError(FlowyardError):
    """A registry file could not be read or has the wrong shape."""


def _parse(data: Any, source: str) -> dict[str, KnownType]:
    if not isinstance(data, dict):
        raise RegistryError(f"{source}: the worker registry must be a JSON object of types")
    out: dict[str, KnownType] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("distribution"), str):
            raise RegistryError(
                f"{source}: entry {name!r} needs a string 'distribution' (the package to install)"
            )
        out[name] = KnownType(
            name=name,
            distribution=entry["distribution"],
            description=entry.get("description", ""),
            default_base_job_template=entry.get("default_base_job_template") or {},
            source=source,
            index_url=entry.get("index_url") or None,
        )
    return out


@lru_cache(maxsize=8)
def _load(extra_files: str) -> dict[str, KnownType]:
    bundled = files("flowyard").joinpath("registry_data/worker_types.json").read_text("utf-8")
    known = _parse(json.loads(bundled), "bundled registry")
    for raw in filter(None, extra_files.split(os.pathsep)):
        path = Path(raw)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise RegistryError(
                f"{ENV_VAR} names {path}, which cannot be read as JSON: {exc}"
            ) from exc
        known.update(_parse(data, str(path)))
    return known


def known_types() -> dict[str, KnownType]:
    """All known types: the bundled table updated by files named in ``FLOWYARD_WORKER_REGISTRY``."""
    return dict(_load(os.environ.get(ENV_VAR, "")))


def distribution_for(worker_type: str) -> str | None:
    """The distribution that provides ``worker_type``, or None when the registry does not know it."""
    entry = known_types().get(worker_type)
    return entry.distribution if entry else None
