"""Small output helpers shared by CLI commands: JSON for scripts, rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, NoReturn

import typer


class OutputFormat(StrEnum):
    """``--output`` choices."""

    table = "table"
    json = "json"


OUTPUT_OPTION = typer.Option(
    OutputFormat.table, "--output", "-o", help="table for people, json for scripts"
)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def print_table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    caption: str | None = None,
) -> None:
    """Print a rich table (``caption``: a line under it, e.g. what a marker means)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, caption=caption)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    Console().print(table)


def say(message: str) -> None:
    """Print a line for people (rich markup allowed)."""
    from rich.console import Console

    Console().print(message, soft_wrap=True)


def describe_api_error(detail: str, errors: Sequence[dict[str, Any]]) -> str:
    """An API error for people: each field error once, under the detail's headline.

    The server's ``detail`` already joins the field errors ("Invalid X: a: ...; b: ..."), so
    with ``errors`` only its headline (the text before the first ": ") is kept.
    """
    if not errors:
        return detail
    headline = detail.split(": ", 1)[0] if ": " in detail else detail
    lines = [f"  - {e.get('field')}: {e.get('message')}" for e in errors]
    return "\n".join([headline.rstrip(".") + ":", *lines])


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error on stderr and exit with ``code`` (1: user error, 2: usage, 3: server unreachable)."""
    from rich.console import Console

    Console(stderr=True).print(f"[red]Error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
