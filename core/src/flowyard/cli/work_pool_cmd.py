"""``flowyard work-pool``: create, inspect and manage work pools."""

from __future__ import annotations

from pathlib import Path

import typer

from flowyard.cli.output import fail, print_json

app = typer.Typer(help="Manage work pools.", no_args_is_help=True)


@app.command("get-default-base-job-template")
def get_default_base_job_template(
    type_: str = typer.Option(..., "--type", "-t", help="worker type, e.g. process, docker"),
    file: Path | None = typer.Option(
        None, "--file", "-f", help="write to this file instead of stdout"
    ),
) -> None:
    """Print a worker type's default base job template (works without a server)."""
    import json

    from flowyard.errors import PluginError, UnknownWorkerType
    from flowyard.worker_types import default_base_job_template

    try:
        template = default_base_job_template(type_, validate=False)
    except (UnknownWorkerType, PluginError) as exc:
        fail(str(exc))
    if file is not None:
        file.write_text(json.dumps(template, indent=2) + "\n")
        typer.echo(f"Wrote the default base job template for type {type_!r} to {file}")
    else:
        print_json(template)
