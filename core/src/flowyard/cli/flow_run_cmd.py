"""``flowyard flow-run``."""

from __future__ import annotations

import typer

app = typer.Typer(help="flow-run commands.", no_args_is_help=True)
