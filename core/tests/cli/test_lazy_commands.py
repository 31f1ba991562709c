"""The CLI builds only the command group a user runs, and prints the root help without click.

``flowyard --help`` comes from a stored text (:mod:`flowyard.cli.root_help`); these tests render
the real command tree and fail when the two differ, so the stored text cannot go stale.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from flowyard.cli.commands import GROUPS
from flowyard.cli.root_help import ROOT_HELP

RENDER_WHOLE_TREE = (
    "import sys; sys.argv[:] = ['flowyard', '--help']; "
    "from flowyard.cli.commands import build_app; build_app()()"
)


def run(argv: list[str], columns: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


def flowyard(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    """The ``flowyard`` console script (its usage lines name ``flowyard``, as a user sees them)."""
    return run([os.path.join(os.path.dirname(sys.executable), "flowyard"), *args], columns)


def test_the_stored_root_help_is_what_click_renders_for_the_whole_tree() -> None:
    rendered = run([sys.executable, "-c", RENDER_WHOLE_TREE], columns=100)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == ROOT_HELP, (
        "flowyard.cli.root_help.ROOT_HELP is stale: paste the output of "
        f'COLUMNS=100 python -c "{RENDER_WHOLE_TREE}"'
    )


@pytest.mark.parametrize("args", [("--help",), ()], ids=["--help", "no arguments"])
def test_flowyard_prints_the_root_help_on_a_wide_terminal(args: tuple[str, ...]) -> None:
    result = flowyard(*args, columns=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, ROOT_HELP, "")


def test_on_a_narrow_terminal_click_renders_the_root_help() -> None:
    expected = run([sys.executable, "-c", RENDER_WHOLE_TREE], columns=60).stdout
    result = flowyard("--help", columns=60)
    assert result.returncode == 0
    assert result.stdout == expected != ROOT_HELP


def test_the_group_table_names_every_group_of_the_tree() -> None:
    from flowyard.cli.main import app

    assert [group.name for group in app.registered_groups] == list(GROUPS)


def test_a_mistyped_command_lists_against_the_whole_tree() -> None:
    result = flowyard("work-pol", "ls")
    assert result.returncode == 2
    assert "No such command 'work-pol'." in result.stderr


@pytest.mark.parametrize("group", list(GROUPS))
def test_each_group_help_names_its_commands_path(group: str) -> None:
    result = flowyard(group, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: flowyard {group} [OPTIONS] COMMAND [ARGS]...")
