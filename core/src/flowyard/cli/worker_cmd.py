"""``flowyard worker``: start a worker, list worker types."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Any

import typer

from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, fail, print_json, print_table

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


class InstallPolicy(StrEnum):
    """``--install-policy`` choices (kept here so ``--help`` needs no import of the installer)."""

    always = "always"
    if_not_present = "if-not-present"
    never = "never"
    prompt = "prompt"


@app.command("start")
def start(
    pool: str = typer.Option(..., "--pool", "-p", help="the work pool to take runs from"),
    type_: str | None = typer.Option(
        None, "--type", "-t", help="worker type; default: the pool's. Creates a missing pool."
    ),
    name: str | None = typer.Option(None, "--name", "-n", help="default: <host>-<random>"),
    work_queues: list[str] = typer.Option(
        [], "--work-queue", "-q", help="only these queues (repeatable); default: all"
    ),
    limit: int | None = typer.Option(
        None, "--limit", "-l", min=1, help="at most this many runs at once"
    ),
    prefetch_seconds: float | None = typer.Option(
        None, "--prefetch-seconds", min=0, help="claim runs this early (default 10)"
    ),
    run_once: bool = typer.Option(False, "--run-once", help="take one batch of runs, then exit"),
    with_healthcheck: bool = typer.Option(
        False, "--with-healthcheck", help="serve GET /health on FLOWYARD_WORKER_HEALTHCHECK_PORT"
    ),
    install_policy: InstallPolicy = typer.Option(
        InstallPolicy.prompt,
        "--install-policy",
        help="install the type's package if missing: always, if-not-present, never, prompt",
    ),
) -> None:
    """Start a worker: poll the pool, submit each run to the type's infrastructure."""
    import asyncio

    from flowyard.worker.runtime import WorkerOptions, configure_logging

    configure_logging()
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    options = WorkerOptions.from_settings(
        pool,
        worker_type=type_,
        name=name,
        work_queues=list(work_queues),
        limit=limit,
        prefetch_seconds=prefetch_seconds,
        run_once=run_once,
        healthcheck=with_healthcheck,
        install_policy=install_policy.value,
        confirm_install=(
            (lambda question: typer.confirm(question, default=True)) if interactive else None
        ),
    )
    code = asyncio.run(_run(options))
    raise typer.Exit(code)


async def _run(options: Any) -> int:
    from flowyard.client import ApiError, ServerUnreachable
    from flowyard.client.aio import AsyncFlowyardClient
    from flowyard.worker.runtime import Worker
    from flowyard.worker.startup import WorkerStartupError

    client = AsyncFlowyardClient()
    try:
        return await Worker(options, client).run()
    except WorkerStartupError as exc:
        fail(str(exc))
    except ServerUnreachable as exc:
        fail(str(exc), code=3)
    except ApiError as exc:
        fail(f"The server refused the worker: {exc.detail}")
    finally:
        await client.aclose()
