"""``flowyard secret``: the server's secrets store. Values come from stdin or a file, never argv."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flowyard.cli.api import body, call
from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, fail, print_json, print_table, say

app = typer.Typer(help="Manage the server's secrets (admins).", no_args_is_help=True)
FROM_FILE = typer.Option(
    None, "--from-file", "-f", help="read the value from this file (default: stdin)"
)


def _read_value(from_file: Path | None) -> str:
    if from_file is not None:
        try:
            value = from_file.read_text()
        except OSError as exc:
            fail(f"--from-file: cannot read {from_file} ({exc.strerror}).")
    else:
        if sys.stdin.isatty():
            typer.echo("Value (end with Ctrl-D):", err=True)
        value = sys.stdin.read()
    value = value.rstrip("\n")
    if not value:
        fail("The secret's value is empty: pipe it on stdin or give --from-file PATH.")
    return value


@app.command("create")
def create(
    name: str,
    kind: str = typer.Option(
        "generic", "--kind", "-k", help="aws, gcp, azure, registry or generic"
    ),
    from_file: Path | None = FROM_FILE,
) -> None:
    """Store a secret; its value is read from stdin or --from-file."""
    from flowyard.schemas.secrets import SecretCreate

    request = body(SecretCreate, {"name": name, "kind": kind, "value": _read_value(from_file)})
    secret = call(lambda api: api.create_secret(request))
    say(f"Created secret {secret.name} ({secret.kind.value}).")


@app.command("ls")
def ls(output: OutputFormat = OUTPUT_OPTION) -> None:
    """List secrets: names, kinds, times (never values)."""
    secrets = call(lambda api: api.list_secrets())
    if output is OutputFormat.json:
        print_json(secrets)
        return
    print_table(
        "Secrets",
        ["name", "kind", "created", "rotated"],
        [(s.name, s.kind.value, s.created, s.rotated or "") for s in secrets],
    )


@app.command("rotate")
def rotate(name: str, from_file: Path | None = FROM_FILE) -> None:
    """Replace a secret's value (stdin or --from-file)."""
    from flowyard.schemas.secrets import SecretRotate

    request = body(SecretRotate, {"value": _read_value(from_file)})
    call(lambda api: api.rotate_secret(name, request))
    say(f"Rotated secret {name}.")


@app.command("delete")
def delete(name: str) -> None:
    """Delete a secret."""
    call(lambda api: api.delete_secret(name))
    say(f"Deleted secret {name}.")


@app.command("generate-key")
def generate_key() -> None:
    """Print a new key for FLOWYARD_SERVER_SECRETS_KEY."""
    from flowyard.server.secret_cipher import generate_key as new_key

    typer.echo(new_key())
