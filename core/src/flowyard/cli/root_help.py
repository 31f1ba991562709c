"""``flowyard --help`` (and ``flowyard`` alone) printed without importing click or typer.

click and typer take most of the ~0.1 s the root help used to cost. The text below is what they
print for the whole command tree (:func:`flowyard.cli.commands.build_app`) on a terminal at least
80 columns wide (click's help is 78 columns there); a CLI test renders the real app and fails
when the two differ, naming the command that regenerates it. On a narrower terminal, click
renders the help itself.
"""

from __future__ import annotations

import os
import sys

ROOT_HELP = """\
Usage: flowyard [OPTIONS] COMMAND [ARGS]...

  Route scheduled workflow runs to pluggable infrastructure through work pools
  and workers.

Options:
  --help  Show this message and exit.

Commands:
  deploy      Create or update the deployments described in flowyard.yaml...
  version     Print the versions of flowyard and of the installed...
  server      Run the flowyard server and manage its API keys.
  work-pool   Manage work pools.
  work-queue  Manage the work queues of a pool.
  worker      Start workers and list worker types.
  deployment  Run and manage deployments.
  flow-run    Inspect and cancel flow runs.
  secret      Manage the server's secrets (admins).
"""
"""The root help as click renders it at 80 columns or more (regenerate: see ``RENDER_WHOLE_TREE``
in ``core/tests/cli/test_lazy_commands.py``)."""

MIN_COLUMNS = 80
"""click caps its help at 80 columns (78 of text): from this width on, the text is the same."""


def terminal_columns() -> int:
    """The terminal width click would use (:func:`shutil.get_terminal_size`, without importing shutil)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    try:
        return os.get_terminal_size(stdout.fileno()).columns or 80 if stdout else 80
    except (ValueError, OSError):
        return 80


def print_root_help(argv: list[str]) -> bool:
    """Print the root help if ``argv`` asks for it (nothing or ``--help``) and the text fits."""
    if argv not in ([], ["--help"]) or terminal_columns() < MIN_COLUMNS:
        return False
    sys.stdout.write(ROOT_HELP)
    sys.stdout.flush()
    return True
