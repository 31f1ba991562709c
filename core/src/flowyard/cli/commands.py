"""The root ``flowyard`` app, built with every command group or with only the one a user runs.

Building a typer app turns every command's signature into click parameters, and each group's
module imports what its commands share; a command needs neither for the other groups. So
:func:`build_app` registers only the group named on the command line,
and the whole tree when the name is unknown (click then lists every command in its error) or
for the root's own help. What ``--help`` prints for the whole tree is kept in
:mod:`flowyard.cli.root_help`, checked against this app by the CLI tests.
"""

from __future__ import annotations

import importlib

from flowyard.cli import import_typer_plainly

import_typer_plainly()

import typer  # noqa: E402

from flowyard.cli.required import enforce_required  # noqa: E402

GROUPS: dict[str, str] = {
    "server": "flowyard.cli.server_cmd",
    "work-pool": "flowyard.cli.work_pool_cmd",
    "work-queue": "flowyard.cli.work_queue_cmd",
    "worker": "flowyard.cli.worker_cmd",
    "deployment": "flowyard.cli.deployment_cmd",
    "flow-run": "flowyard.cli.flow_run_cmd",
    "secret": "flowyard.cli.secret_cmd",
}
"""Each command group's name and the module holding its typer app (``app``), in help order."""

ROOT_HELP_TEXT = (
    "Route scheduled workflow runs to pluggable infrastructure through work pools and workers."
)


def version() -> None:
    """Print the versions of flowyard and of the installed worker-type packages."""
    import platform

    from flowyard import __version__
    from flowyard.plugins import worker_types

    typer.echo(f"flowyard {__version__} (Python {platform.python_version()})")
    for name, info in sorted(worker_types().installed().items()):
        typer.echo(f"  worker type {name}: {info.distribution} {info.version}")


def build_app(only: str | None = None) -> typer.Typer:
    """The root app; with ``only`` the name of a command group, just that group in it.

    The top-level commands (``deploy``, ``version``) always come with the whole tree: a typer app
    holding a single command would become that command, with another usage line.
    """
    app = typer.Typer(
        name="flowyard",
        help=ROOT_HELP_TEXT,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    everything = only not in GROUPS
    for name, module in GROUPS.items():
        if everything or only == name:
            app.add_typer(importlib.import_module(module).app, name=name)
    if everything:
        from flowyard.cli.deployment_cmd import register_deploy

        register_deploy(app)
        app.command()(version)
    enforce_required(app)
    return app
