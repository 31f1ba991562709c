"""The ``flowyard`` command line (typer). Each command group lives in its own module.

Importing this package imports nothing: ``flowyard --help`` is printed without click or typer
(:mod:`flowyard.cli.root_help`), and a command imports only its own group
(:mod:`flowyard.cli.commands`).

typer imports rich (and markdown-it) eagerly when rich is installed, which doubles the start-up
time of every command. :func:`import_typer_plainly` hides rich while typer loads, so typer's help
and errors use click's plain formatting; flowyard's own tables still import rich, lazily, when a
command prints one.
"""

from __future__ import annotations

import sys


def import_typer_plainly() -> None:
    """Import typer (once) with rich hidden, so its help and errors use click's formatting."""
    if "typer" in sys.modules or "rich" in sys.modules:
        return
    sys.modules["rich"] = None  # type: ignore[assignment]
    try:
        import typer  # noqa: F401
    finally:
        del sys.modules["rich"]
