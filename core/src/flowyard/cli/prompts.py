"""Confirmation prompts for destructive commands (``--yes`` skips them)."""

from __future__ import annotations

import sys

import typer

from flowyard.cli.output import fail


def confirm_or_exit(question: str, *, yes: bool) -> None:
    """Go on when ``yes`` or the user answers y; exit 1 otherwise.

    Without a terminal to ask on (a script, CI), it refuses and says to pass ``--yes``.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        fail(f"{question} Not confirmed: no terminal to ask on; pass --yes to confirm.")
    if not typer.confirm(question, default=False):
        fail("Aborted.")
