"""``flowyard deployment``."""

from __future__ import annotations

import typer

app = typer.Typer(help="deployment commands.", no_args_is_help=True)


def register_deploy(app: typer.Typer) -> None:
    """Placeholder until the deploy command lands."""
