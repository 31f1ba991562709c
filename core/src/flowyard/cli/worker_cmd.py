"""``flowyard worker``: start a worker, list worker types."""

from __future__ import annotations

import typer

from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, print_json, print_table

app = typer.Typer(help="Start workers and list worker types.", no_args_is_help=True)


@app.command("types")
def types_(output: OutputFormat = OUTPUT_OPTION) -> None:
    """List installed and known worker types with the package that provides each."""
    from flowyard.worker_types import list_types

    rows = list_types()
    if output is OutputFormat.json:
        print_json([r.__dict__ for r in rows])
        return
    print_table(
        "Worker types",
        ["type", "package", "installed", "version"],
        [
            (r.name, r.distribution, "yes" if r.installed else "no", r.installed_version or "")
            for r in rows
        ],
    )
