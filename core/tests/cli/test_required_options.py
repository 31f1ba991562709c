"""Every required option and argument of every command is enforced: exit 2, "Missing ...".

Run as subprocesses, whatever click release is installed (some let typer run a command with a
required option missing; flowyard checks required input itself).
"""

from __future__ import annotations

import pytest
from flowyard.cli.main import app
from flowyard.cli.required import RequiredParameter, iter_commands, required_parameters
from flowyard.testing.cli import run_cli

CASES = [
    (words, missing, required)
    for words, callback in iter_commands(app)
    for required in [required_parameters(callback)]
    for missing in required
    if missing.label.startswith("option")
]


def test_the_commands_that_new_users_hit_have_required_options() -> None:
    covered = {" ".join(words) for words, _, _ in CASES}
    assert {"work-pool create", "worker start", "work-queue create"} <= covered
    assert "work-pool get-default-base-job-template" in covered


@pytest.mark.parametrize(
    ("words", "missing", "required"),
    CASES,
    ids=[f"{' '.join(w)} without {m.label}" for w, m, _ in CASES],
)
def test_a_missing_required_option_exits_2_with_missing_option(
    words: tuple[str, ...], missing: RequiredParameter, required: list[RequiredParameter]
) -> None:
    args: list[str] = list(words)
    for param in required:
        if param is missing:
            continue
        if param.label.startswith("argument"):
            args.append("x1")
        else:
            args += [param.label.split("'")[1], "1"]
    result = run_cli(*args, env={"FLOWYARD_API_URL": "http://127.0.0.1:9/api", "PATH": ""})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Missing option" in result.stderr
    assert missing.label.split("'")[1] in result.stderr


def test_a_missing_required_argument_exits_2() -> None:
    result = run_cli("work-pool", "create", "--type", "process")
    assert result.returncode == 2
    assert "Missing argument 'NAME'" in result.stderr
