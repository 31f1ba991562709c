"""Root of the ``flowyard`` CLI. Sub-apps import their heavy dependencies inside commands."""

from __future__ import annotations

import typer

from flowyard.cli import (
    deployment_cmd,
    flow_run_cmd,
    secret_cmd,
    server_cmd,
    work_pool_cmd,
    work_queue_cmd,
    worker_cmd,
)
from flowyard.cli.required import enforce_required

app = typer.Typer(
    name="flowyard",
    help="Route scheduled workflow runs to pluggable infrastructure through work pools and workers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(server_cmd.app, name="server")
app.add_typer(work_pool_cmd.app, name="work-pool")
app.add_typer(work_queue_cmd.app, name="work-queue")
app.add_typer(worker_cmd.app, name="worker")
app.add_typer(deployment_cmd.app, name="deployment")
app.add_typer(flow_run_cmd.app, name="flow-run")
app.add_typer(secret_cmd.app, name="secret")
deployment_cmd.register_deploy(app)


@app.command()
def version() -> None:
    """Print the versions of flowyard and of the installed worker-type packages."""
    import platform

    from flowyard import __version__
    from flowyard.plugins import worker_types

    typer.echo(f"flowyard {__version__} (Python {platform.python_version()})")
    for name, info in sorted(worker_types().installed().items()):
        typer.echo(f"  worker type {name}: {info.distribution} {info.version}")


enforce_required(app)


def main() -> None:
    """Console-script entry point."""
    app()
