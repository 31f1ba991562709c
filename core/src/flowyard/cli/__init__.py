"""The ``flowyard`` command line (typer). Each command group lives in its own module.

typer imports rich (and markdown-it) eagerly when rich is installed, which doubles the start-up
time of every command. Importing this package hides rich while typer loads, so typer's help and
errors use click's plain formatting; flowyard's own tables still import rich, lazily, when a
command prints one.
"""

from __future__ import annotations

import sys

if "typer" not in sys.modules and "rich" not in sys.modules:
    sys.modules["rich"] = None  # type: ignore[assignment]
    try:
        import typer  # noqa: F401
    finally:
        del sys.modules["rich"]
