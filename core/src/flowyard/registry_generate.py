"""Write worker-registry entries from installed worker types, so the registry never drifts.

The bundled ``registry_data/worker_types.json`` carries each type's default base job template
for machines where its package is not installed. For a type whose plugin is installed, that
entry is generated here from the plugin itself (its variables model, through
:meth:`flowyard.plugins.TypeHooks.default_base_job_template`), never edited by hand:
``scripts/generate-registry`` runs ``python -m flowyard.registry_generate`` on the bundled file.
A company can do the same for its own types' ``FLOWYARD_WORKER_REGISTRY`` file.

The file is written compactly, one type per line, so a change to one type is a one-line diff.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path
from typing import Any

from flowyard.plugins import worker_types

BUNDLED = Path(__file__).parent / "registry_data" / "worker_types.json"


def entry_for(worker_type: str, description: str | None = None) -> dict[str, Any]:
    """The registry entry of an installed worker type, generated from its plugin.

    :param description: the entry's one-line description; by default its distribution's summary.
    :raises KeyError: the type is not installed.
    :raises flowyard.errors.PluginError: its plugin is broken or its template invalid.
    """
    hooks = worker_types().hooks(worker_type)
    distribution = hooks.info.distribution or worker_type
    if description is None:
        try:
            description = metadata(distribution)["Summary"] or ""
        except PackageNotFoundError:
            description = ""
    return {
        "distribution": distribution,
        "description": description,
        "default_base_job_template": hooks.default_base_job_template(),
    }


def render(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """The registry file's text: a JSON object with one compact line per type."""
    lines = [
        f"{json.dumps(name)}:{json.dumps(entry, separators=(',', ':'), ensure_ascii=False)}"
        for name, entry in entries.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def generated_types(entries: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The entries whose type is installed here from the distribution the entry names."""
    installed = worker_types().installed()
    return [
        name
        for name, entry in entries.items()
        if name in installed and installed[name].distribution == entry.get("distribution")
    ]


def regenerate(text: str, types: Iterable[str] | None = None) -> str:
    """``text`` (a registry file) with the entries of ``types`` generated again from their plugins.

    Other entries are kept as they are; a type's description is kept too. With ``types=None``
    every entry whose plugin is installed here is generated (:func:`generated_types`).
    """
    entries: dict[str, dict[str, Any]] = json.loads(text) if text.strip() else {}
    for name in generated_types(entries) if types is None else types:
        previous = entries.get(name, {}).get("description")
        entries[name] = entry_for(name, previous)
    return render(entries)


def main(argv: list[str] | None = None) -> int:
    """``python -m flowyard.registry_generate [--check] [FILE] [--type T ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m flowyard.registry_generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("file", nargs="?", type=Path, default=BUNDLED, help="registry JSON file")
    parser.add_argument(
        "--type",
        dest="types",
        action="append",
        help="generate this type (repeatable; default: every entry whose plugin is installed)",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from what would be written"
    )
    args = parser.parse_args(argv)
    current = args.file.read_text("utf-8") if args.file.exists() else ""
    updated = regenerate(current, args.types)
    if args.check:
        if updated != current:
            print(f"{args.file} is out of date; run scripts/generate-registry", file=sys.stderr)
            return 1
        return 0
    if updated != current:
        args.file.write_text(updated, "utf-8")
        print(f"wrote {args.file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
