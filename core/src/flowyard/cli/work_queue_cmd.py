"""``flowyard work-queue``: queues inside a work pool."""

from __future__ import annotations

from typing import Any

import typer

from flowyard.cli.api import call
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
    queue = call(
        "POST",
        f"/work_pools/{pool}/queues",
        json={"name": name, "priority": priority, "concurrency_limit": limit},
    )
    say(f"Created work queue {pool}/{queue['name']} with priority {queue['priority']}.")


@app.command("ls")
def ls(pool: str = POOL, output: OutputFormat = OUTPUT_OPTION) -> None:
    """List a pool's queues in priority order."""
    queues = call("GET", f"/work_pools/{pool}/queues")
    if output is OutputFormat.json:
        print_json(queues)
        return
    print_table(
        f"Queues of {pool}",
        ["priority", "name", "limit", "status", "id"],
        [
            (
                q["priority"],
                ("⏸ " if q["is_paused"] else "") + q["name"],
                q["concurrency_limit"] or "",
                q["status"],
                q["id"],
            )
            for q in queues
        ],
    )


@app.command("inspect")
def inspect(name: str, pool: str = POOL, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Show one queue."""
    queue = call("GET", f"/work_pools/{pool}/queues/{name}")
    if output is OutputFormat.json:
        print_json(queue)
        return
    print_table(
        f"Queue {pool}/{name}",
        ["field", "value"],
        [(key, value) for key, value in queue.items()],
    )


def _patch(pool: str, name: str, body: dict[str, Any], done: str) -> None:
    call("PATCH", f"/work_pools/{pool}/queues/{name}", json=body)
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
    body = {
        k: v
        for k, v in {
            "priority": priority,
            "concurrency_limit": limit,
            "description": description,
        }.items()
        if v is not None
    }
    if not body:
        fail("Nothing to update: give --priority, --limit or --description.")
    _patch(pool, name, body, f"Updated work queue {pool}/{name}.")


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
    call("DELETE", f"/work_pools/{pool}/queues/{name}")
    say(f"Deleted work queue {pool}/{name}.")
