"""``flowyard work-queue``: queues inside a work pool."""

from __future__ import annotations

from typing import Any

import typer

from flowyard.cli.api import body, call
from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, fail, print_json, print_table, say

app = typer.Typer(help="Manage the work queues of a pool.", no_args_is_help=True)
POOL = typer.Option(..., "--pool", "-p", help="the work pool")


@app.command("create")
def create(
    name: str,
    pool: str = POOL,
    priority: int | None = typer.Option(
        None, "--priority", "-q", min=1, help="lower runs first; default: first free"
    ),
    limit: int | None = typer.Option(None, "--limit", "-l", min=0, help="concurrency limit"),
) -> None:
    """Create a queue; colliding priorities shift down."""
    from flowyard.schemas.pools import WorkQueueCreate

    request = body(
        WorkQueueCreate, {"name": name, "priority": priority, "concurrency_limit": limit}
    )
    queue = call(lambda api: api.create_queue(pool, request))
    say(f"Created work queue {pool}/{queue.name} with priority {queue.priority}.")


@app.command("ls")
def ls(pool: str = POOL, output: OutputFormat = OUTPUT_OPTION) -> None:
    """List a pool's queues in priority order."""
    queues = call(lambda api: api.list_queues(pool))
    if output is OutputFormat.json:
        print_json(queues)
        return
    print_table(
        f"Queues of {pool}",
        ["priority", "name", "limit", "status", "id"],
        [
            (
                q.priority,
                ("⏸ " if q.is_paused else "") + q.name,
                q.concurrency_limit or "",
                q.status,
                q.id,
            )
            for q in queues
        ],
    )


@app.command("inspect")
def inspect(name: str, pool: str = POOL, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Show one queue."""
    queue = call(lambda api: api.read_queue(pool, name))
    if output is OutputFormat.json:
        print_json(queue)
        return
    print_table(
        f"Queue {pool}/{name}",
        ["field", "value"],
        [(key, value) for key, value in queue.model_dump(mode="json").items()],
    )


def _patch(pool: str, name: str, fields: dict[str, Any], done: str) -> None:
    from flowyard.schemas.pools import WorkQueueUpdate

    request = body(WorkQueueUpdate, fields)
    call(lambda api: api.update_queue(pool, name, request))
    say(done)


@app.command("update")
def update(
    name: str,
    pool: str = POOL,
    priority: int | None = typer.Option(None, "--priority", "-q", min=1),
    limit: int | None = typer.Option(None, "--limit", "-l", min=0),
    description: str | None = typer.Option(None, "--description"),
) -> None:
    """Change a queue's priority, limit or description."""
    fields = {
        k: v
        for k, v in {
            "priority": priority,
            "concurrency_limit": limit,
            "description": description,
        }.items()
        if v is not None
    }
    if not fields:
        fail("Nothing to update: give --priority, --limit or --description.")
    _patch(pool, name, fields, f"Updated work queue {pool}/{name}.")


@app.command("pause")
def pause(name: str, pool: str = POOL) -> None:
    """Pause a queue."""
    _patch(pool, name, {"is_paused": True}, f"Paused work queue {pool}/{name}.")


@app.command("resume")
def resume(name: str, pool: str = POOL) -> None:
    """Resume a queue."""
    _patch(pool, name, {"is_paused": False}, f"Resumed work queue {pool}/{name}.")


@app.command("delete")
def delete(name: str, pool: str = POOL) -> None:
    """Delete a queue (the default queue cannot be deleted)."""
    call(lambda api: api.delete_queue(pool, name))
    say(f"Deleted work queue {pool}/{name}.")
