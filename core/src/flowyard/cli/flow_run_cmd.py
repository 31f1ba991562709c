"""``flowyard flow-run``: list, inspect, follow logs and cancel flow runs."""

from __future__ import annotations

import time
from typing import Any

import typer

from flowyard.cli.api import call
from flowyard.cli.names import resolve_run
from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, print_json, print_table, say

app = typer.Typer(help="Inspect and cancel flow runs.", no_args_is_help=True)
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@app.command("ls")
def ls(
    deployment: str | None = typer.Option(None, "--deployment", "-d", help="flow/deployment"),
    pool: str | None = typer.Option(None, "--pool", "-p"),
    state: list[str] = typer.Option([], "--state", "-s", help="e.g. RUNNING (repeatable)"),
    limit: int = typer.Option(20, "--limit", "-l", min=1),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """List recent flow runs, newest first."""
    body: dict[str, Any] = {"limit": limit, "work_pool_name": pool}
    if state:
        body["state_types"] = [s.upper() for s in state]
    if deployment:
        from flowyard.cli.deployment_cmd import find

        body["deployment_id"] = find(deployment)["id"]
    runs = call("POST", "/flow_runs/filter", json=body)
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
                r["scheduled_time"],
                r["id"],
            )
            for r in runs
        ],
    )


@app.command("inspect")
def inspect(run_id: str, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Show one flow run and its state history (id, unique id prefix or name)."""
    run_id = resolve_run(run_id)
    flow_run = call("GET", f"/flow_runs/{run_id}")
    history = call("GET", f"/flow_runs/{run_id}/history")
    if output is OutputFormat.json:
        print_json({**flow_run, "history": history})
        return
    print_json(flow_run)
    print_table(
        "State history",
        ["time", "state", "message"],
        [(h["timestamp"], h["name"], h["message"] or "") for h in history],
    )


def _print_logs(run_id: str, after: int) -> int:
    lines = call("GET", f"/flow_runs/{run_id}/logs", params={"after": after, "limit": 1000})
    for line in lines:
        typer.echo(f"{line['timestamp']} | {line['name']} | {line['message']}")
        after = max(after, int(line["id"]))
    return after


def follow(run_id: str, interval: float = 0.5, explain_waiting: bool = False) -> int:
    """Print logs until the run is final; the exit code is 0 only for COMPLETED.

    With ``explain_waiting``, while the run has not started, say (once per reason) what it waits
    for: a paused pool, no worker online, or being late.
    """
    from flowyard.cli.waiting import WaitExplainer

    explainer = WaitExplainer() if explain_waiting else None
    after = 0
    while True:
        flow_run = call("GET", f"/flow_runs/{run_id}")
        if explainer is not None:
            explainer.explain(flow_run)
        after = _print_logs(run_id, after)
        if flow_run["state_type"] in FINAL:
            _print_logs(run_id, after)
            message = f" ({flow_run['state_message']})" if flow_run["state_message"] else ""
            say(f"Flow run {flow_run['name']} finished: {flow_run['state_name']}{message}")
            return 0 if flow_run["state_type"] == "COMPLETED" else 1
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
    result = call("POST", f"/flow_runs/{run_id}/cancel")
    if result["status"] != "ACCEPT":
        from flowyard.cli.output import fail

        fail(f"Cannot cancel: {result.get('reason')}")
    say(f"Flow run {run_id} is {result['state_name']}.")
