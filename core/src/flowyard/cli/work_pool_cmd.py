"""``flowyard work-pool``: create, inspect and manage work pools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from flowyard.cli.api import body, call, plain
from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, fail, print_json, print_table, say

if TYPE_CHECKING:
    from flowyard.schemas.runs import FlowRun

app = typer.Typer(help="Manage work pools.", no_args_is_help=True)
PAUSED_CAPTION = "(**) denotes a paused pool"


def _read_template(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        fail(f"Cannot read --base-job-template {path}: {exc.strerror}")
    except ValueError as exc:
        fail(f"--base-job-template {path} is not valid JSON: {exc}")
    if not isinstance(data, dict):
        fail(f"--base-job-template {path} must hold a JSON object")
    return data


@app.command("create")
def create(
    name: str,
    type_: str = typer.Option(
        ..., "--type", "-t", help="worker type (see `flowyard worker types`)"
    ),
    paused: bool = typer.Option(False, "--paused/--no-paused", help="create the pool paused"),
    base_job_template: Path | None = typer.Option(
        None, "--base-job-template", help="JSON file; default: the type's"
    ),
    concurrency_limit: int | None = typer.Option(None, "--concurrency-limit", min=0),
    description: str = typer.Option("", "--description"),
    credentials: str | None = typer.Option(
        None,
        "--credentials",
        help="name of a secret (`flowyard secret ls`) the type's 'credentials' are read from; "
        "the template then holds {{ secret('NAME') }}, never the value",
    ),
) -> None:
    """Create a work pool (with its `default` queue). A type ending in `:push` (`ecs:push`,
    `cloud-run:push`, `azure-container-instance:push`) makes a push pool: the server submits its
    runs itself, no worker is started."""
    from flowyard.errors import PluginError, UnknownWorkerType
    from flowyard.pool_types import is_push, worker_type_of
    from flowyard.schemas.pools import WorkPoolCreate
    from flowyard.worker_types import default_base_job_template

    template = _read_template(base_job_template) if base_job_template else None
    if template is None:
        try:
            template = default_base_job_template(worker_type_of(type_))
        except (UnknownWorkerType, PluginError) as exc:
            fail(str(exc))
    if credentials is not None:
        template = _with_credentials(template, credentials)
    request = body(
        WorkPoolCreate,
        {
            "name": name,
            "type": type_,
            "is_paused": paused,
            "base_job_template": template,
            "concurrency_limit": concurrency_limit,
            "description": description,
        },
    )
    pool = call(lambda api: api.create_pool(request))
    limit = pool.concurrency_limit
    say(
        f"Created work pool [bold]{pool.name}[/bold] of type {pool.type} ({pool.status}).\n"
        f"  id: {pool.id}\n"
        f"  type: {pool.type}\n"
        f"  concurrency limit: {'none' if limit is None else limit}\n"
        f"  paused: {'yes' if pool.is_paused else 'no'}\n"
        "\n"
        + (
            "The server submits its runs (push pool); no worker is needed.\n"
            if is_push(pool.type)
            else f"Start a worker for it:\n  flowyard worker start --pool {pool.name}\n"
        )
        + f"Inspect it:\n  flowyard work-pool inspect {pool.name}"
    )


def _with_credentials(template: dict[str, Any], secret_name: str) -> dict[str, Any]:
    """The template with its ``credentials`` setting read from secret ``secret_name``."""
    from flowyard.templating.secret_refs import NAME

    if not NAME.fullmatch(secret_name):
        fail(
            f"--credentials {secret_name!r}: a secret name is letters, digits, '.', '_' or '-' "
            "(as `flowyard secret ls` shows it)"
        )
    configuration = template.get("job_configuration")
    if not isinstance(configuration, dict) or "credentials" not in configuration:
        fail(
            "--credentials: this type's job configuration has no 'credentials' setting; put "
            "{{ secret('NAME') }} where the type reads its credentials in --base-job-template"
        )
    return {
        **template,
        "job_configuration": {**configuration, "credentials": f"{{{{ secret('{secret_name}') }}}}"},
    }


@app.command("ls")
def ls(output: OutputFormat = OUTPUT_OPTION) -> None:
    """List work pools."""
    pools: list[dict[str, Any]] = plain(lambda api: api.get("/work_pools"))
    if output is OutputFormat.json:
        print_json(pools)
        return
    rows = [
        (
            p["name"] + (" (**)" if p["is_paused"] else ""),
            p["type"],
            p["id"],
            p["concurrency_limit"] or "",
            p["status"],
        )
        for p in pools
    ]
    print_table(
        "Work pools",
        ["name", "type", "id", "concurrency limit", "status"],
        rows,
        caption=PAUSED_CAPTION if any(p["is_paused"] for p in pools) else None,
    )


@app.command("inspect")
def inspect(name: str, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Show one pool, its queues and workers."""
    pool = call(lambda api: api.read_pool(name))
    if output is OutputFormat.json:
        print_json(pool)
        return
    print_json(pool)
    queues = call(lambda api: api.list_queues(name))
    print_table(
        "Queues",
        ["priority", "name", "limit", "status"],
        [(q.priority, q.name, q.concurrency_limit or "", q.status) for q in queues],
    )
    if pool.push is not None:
        push = pool.push
        print_table(
            "Push (the server submits this pool's runs)",
            ["worker type", "installed", "credentials", "served by", "last submit", "reason"],
            [
                (
                    push.worker_type,
                    "yes" if push.installed else "no",
                    push.credentials
                    + (f" ({', '.join(push.missing_secrets)})" if push.missing_secrets else ""),
                    ", ".join(push.served_by) or "no replica",
                    push.last_submit.isoformat() if push.last_submit else "never",
                    push.reason or "",
                )
            ],
        )
    workers = call(lambda api: api.list_workers(name))
    print_table(
        "Workers",
        ["name", "status", "last heartbeat"],
        [(w.name, w.status, w.last_heartbeat.isoformat()) for w in workers],
    )


@app.command("preview")
def preview(
    name: str,
    hours: float = typer.Option(1.0, "--hours", "-h"),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Scheduled runs due within the next hours (late runs marked)."""
    import datetime as dt

    runs = call(lambda api: api.preview_pool(name, hours))
    if output is OutputFormat.json:
        print_json(runs)
        return
    now = dt.datetime.now(dt.UTC)

    def late(run: FlowRun) -> bool:
        return run.state_name == "Late" or run.scheduled_time < now

    print_table(
        f"Upcoming runs in {name}",
        ["scheduled", "run", "deployment", "queue", "late"],
        [
            (
                r.scheduled_time.isoformat(),
                r.name,
                r.deployment_name,
                r.work_queue_name,
                "late" if late(r) else "",
            )
            for r in runs
        ],
    )


def _patch(name: str, fields: dict[str, Any], done: str) -> None:
    from flowyard.schemas.pools import WorkPoolUpdate

    request = body(WorkPoolUpdate, fields)
    call(lambda api: api.update_pool(name, request))
    say(done)


@app.command("pause")
def pause(name: str) -> None:
    """Pause a pool: its runs are not handed to workers."""
    _patch(name, {"is_paused": True}, f"Paused work pool {name}.")


@app.command("resume")
def resume(name: str) -> None:
    """Resume a paused pool."""
    _patch(name, {"is_paused": False}, f"Resumed work pool {name}.")


@app.command("update")
def update(
    name: str,
    base_job_template: Path | None = typer.Option(None, "--base-job-template"),
    description: str | None = typer.Option(None, "--description"),
    concurrency_limit: int | None = typer.Option(None, "--concurrency-limit", min=0),
) -> None:
    """Change a pool's template, description or concurrency limit (unset options stay as they are)."""
    fields: dict[str, Any] = {}
    if base_job_template:
        fields["base_job_template"] = _read_template(base_job_template)
    if description is not None:
        fields["description"] = description
    if concurrency_limit is not None:
        fields["concurrency_limit"] = concurrency_limit
    if not fields:
        fail("Nothing to update: give --base-job-template, --description or --concurrency-limit.")
    _patch(name, fields, f"Updated work pool {name}.")


@app.command(
    "set-concurrency-limit", context_settings={"ignore_unknown_options": True}
)  # so that "-1" reaches the command and gets a clear error, not "No such option: -1"
def set_concurrency_limit(name: str, limit: str = typer.Argument(..., metavar="LIMIT")) -> None:
    """Limit how many runs of the pool may be PENDING or RUNNING at once (a whole number >= 0)."""
    try:
        value = int(limit)
    except ValueError:
        value = -1
    if value < 0:
        fail(
            f"LIMIT must be a whole number >= 0, not {limit!r}. To remove the limit: "
            f"flowyard work-pool clear-concurrency-limit {name}",
            code=2,
        )
    _patch(name, {"concurrency_limit": value}, f"Set the concurrency limit of {name} to {value}.")


@app.command("clear-concurrency-limit")
def clear_concurrency_limit(name: str) -> None:
    """Remove the pool's concurrency limit."""
    _patch(name, {"concurrency_limit": None}, f"Cleared the concurrency limit of {name}.")


@app.command("delete")
def delete(
    name: str, yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation")
) -> None:
    """Delete a pool and its queues (refused while deployments use it); asks first unless --yes."""
    from flowyard.cli.prompts import confirm_or_exit

    confirm_or_exit(f"Delete work pool {name!r} and its queues?", yes=yes)
    call(lambda api: api.delete_pool(name))
    say(f"Deleted work pool {name}.")


@app.command("get-default-base-job-template")
def get_default_base_job_template(
    type_: str = typer.Option(..., "--type", "-t", help="worker type, e.g. process, docker"),
    file: Path | None = typer.Option(
        None, "--file", "-f", help="write to this file instead of stdout"
    ),
) -> None:
    """Print a worker type's default base job template (works without a server)."""
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
