"""``flowyard flow-run``: list, inspect, follow logs and cancel flow runs."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import typer

from flowyard.cli.api import call, plain
from flowyard.cli.names import resolve_run
from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, print_json, print_table, say

app = typer.Typer(help="Inspect and cancel flow runs.", no_args_is_help=True)


@app.command("ls")
def ls(
    deployment: str | None = typer.Option(None, "--deployment", "-d", help="flow/deployment"),
    pool: str | None = typer.Option(None, "--pool", "-p"),
    state: list[str] = typer.Option([], "--state", "-s", help="e.g. RUNNING (repeatable)"),
    limit: int = typer.Option(20, "--limit", "-l", min=1),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """List recent flow runs, newest first."""
    from flowyard.cli.names import deployment_id

    query: dict[str, object] = {"limit": limit}
    if pool is not None:
        query["work_pool_name"] = pool
    if state:
        query["state_types"] = [s.upper() for s in state]
    if deployment:
        query["deployment_id"] = deployment_id(deployment)
    runs: list[dict[str, Any]] = plain(lambda api: api.post("/flow_runs/filter", query))
    if output is OutputFormat.json:
        print_json(runs)
        return
    print_table(
        "Flow runs",
        ["name", "flow", "deployment", "state", "scheduled", "id"],
        [
            (
                r["name"],
                r["flow_name"],
                r["deployment_name"] or "",
                r["state_name"],
                dt.datetime.fromisoformat(r["scheduled_time"]).isoformat(),
                r["id"],
            )
            for r in runs
        ],
    )


@app.command("inspect")
def inspect(run_id: str, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Show one flow run and its state history (id, unique id prefix or name)."""
    run_id = resolve_run(run_id)
    flow_run = call(lambda api: api.read_flow_run(run_id))
    history = call(lambda api: api.read_flow_run_history(run_id))
    if output is OutputFormat.json:
        print_json({**flow_run.model_dump(mode="json"), "history": history})
        return
    print_json(flow_run)
    print_table(
        "State history",
        ["time", "state", "message"],
        [(h.timestamp.isoformat(), h.name, h.message or "") for h in history],
    )


def _print_logs(run_id: str, after: int) -> int:
    lines = call(lambda api: api.read_logs(run_id, after=after, limit=1000))
    for line in lines:
        typer.echo(f"{line.timestamp.isoformat()} | {line.name} | {line.message}")
        after = max(after, line.id)
    return after


def follow(run_id: str, interval: float = 0.5, explain_waiting: bool = False) -> int:
    """Print logs until the run is final; the exit code is 0 only for COMPLETED.

    With ``explain_waiting``, while the run has not started, say (once per reason) what it waits
    for: a paused pool, no worker online, or being late.
    """
    from flowyard.cli.waiting import WaitExplainer

    explainer = WaitExplainer() if explain_waiting else None
    after = 0
    from flowyard.schemas.common import TERMINAL_STATES, StateType

    while True:
        flow_run = call(lambda api: api.read_flow_run(run_id))
        if explainer is not None:
            explainer.explain(flow_run)
        after = _print_logs(run_id, after)
        if flow_run.state_type in TERMINAL_STATES:
            _print_logs(run_id, after)
            message = f" ({flow_run.state_message})" if flow_run.state_message else ""
            say(f"Flow run {flow_run.name} finished: {flow_run.state_name}{message}")
            return 0 if flow_run.state_type is StateType.COMPLETED else 1
        time.sleep(interval)


@app.command("logs")
def logs(
    run_id: str,
    follow_: bool = typer.Option(False, "--follow", "-f", help="keep printing until the run ends"),
) -> None:
    """Print a flow run's logs (its prints and log records); id, unique id prefix or name."""
    run_id = resolve_run(run_id)
    if follow_:
        raise typer.Exit(follow(run_id))
    after = 0
    while True:
        new = _print_logs(run_id, after)
        if new == after:
            return
        after = new


@app.command("cancel")
def cancel(run_id: str) -> None:
    """Cancel a flow run: scheduled runs at once, running ones by their worker killing them."""
    run_id = resolve_run(run_id)
    result = call(lambda api: api.cancel_flow_run(run_id))
    if result.status != "ACCEPT":
        from flowyard.cli.output import fail

        fail(f"Cannot cancel: {result.reason}")
    say(f"Flow run {run_id} is {result.state_name}.")
