"""``flowyard work-queue``."""

from __future__ import annotations

import typer

app = typer.Typer(help="work-queue commands.", no_args_is_help=True)
