"""Entry point of the ``flowyard`` CLI: the root help without click, else only the command run.

``flowyard.cli.main.app`` is the whole command tree (built on first access), for tests and docs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def main() -> None:
    """Console-script entry point."""
    from flowyard.cli.root_help import print_root_help

    argv = sys.argv[1:]
    if print_root_help(argv):
        return
    from flowyard.cli.commands import build_app

    build_app(argv[0] if argv else None)()


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        from flowyard.cli.commands import build_app

        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
