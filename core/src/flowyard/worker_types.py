"""One view over installed worker types (entry points) and known ones (the registry)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flowyard.errors import UnknownWorkerType
from flowyard.plugins import worker_types
from flowyard.registry import known_types


@dataclass(frozen=True)
class TypeStatus:
    """A worker type as ``flowyard worker types`` shows it."""

    name: str
    distribution: str | None
    installed: bool
    installed_version: str | None
    known: bool


def list_types() -> list[TypeStatus]:
    """Installed and known types, sorted by name (installed ones read from metadata only)."""
    installed = worker_types().installed()
    known = known_types()
    out = []
    for name in sorted(set(installed) | set(known)):
        inst = installed.get(name)
        out.append(
            TypeStatus(
                name=name,
                distribution=(inst.distribution if inst else None)
                or (known[name].distribution if name in known else None),
                installed=inst is not None,
                installed_version=inst.version if inst else None,
                known=name in known,
            )
        )
    return out


def default_base_job_template(worker_type: str, *, validate: bool = True) -> dict[str, Any]:
    """The type's default template: from its installed plugin, else from the registry.

    ``validate=False`` checks only the shape of a plugin's answer (fast path for printing); the
    server validates fully whenever a template is stored.

    :raises UnknownWorkerType: neither installed nor known (the message lists the known types).
    :raises flowyard.errors.PluginError: the installed plugin is broken.
    """
    if worker_type in worker_types().installed():
        return worker_types().hooks(worker_type).default_base_job_template(validate=validate)
    known = known_types()
    if worker_type in known:
        return copy.deepcopy(known[worker_type].default_base_job_template)
    raise UnknownWorkerType(worker_type, sorted(set(known) | set(worker_types().installed())))
