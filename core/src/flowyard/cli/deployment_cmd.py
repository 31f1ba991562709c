"""``flowyard deployment`` (run / ls / inspect / pause / resume / delete) and ``flowyard deploy``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from flowyard.cli.api import call, plain
from flowyard.cli.keyvalues import parse_pairs
from flowyard.cli.output import OUTPUT_OPTION, OutputFormat, print_json, print_table, say

if TYPE_CHECKING:
    from flowyard.schemas.runs import Deployment

app = typer.Typer(help="Run and manage deployments.", no_args_is_help=True)


def find(name: str) -> Deployment:
    """A deployment by ``flow/deployment`` (``get_repo_info/dev`` finds ``get-repo-info/dev``)."""
    from flowyard.cli.names import resolve_deployment

    return resolve_deployment(name)


@app.command("run")
def run(
    name: str = typer.Argument(..., help="flow-name/deployment-name"),
    param: list[str] = typer.Option([], "--param", "-p", help="parameter key=value (repeatable)"),
    job_variable: list[str] = typer.Option(
        [], "--job-variable", "-jv", help="job variable key=value, e.g. env.DEBUG=1 (repeatable)"
    ),
    work_queue: str | None = typer.Option(None, "--work-queue", "-q"),
    watch: bool = typer.Option(False, "--watch", help="stream logs and wait for the final state"),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Create a flow run of a deployment, due now."""
    from urllib.parse import quote

    from flowyard.cli.names import deployment_id
    from flowyard.client.errors import DeploymentNotFound

    found = deployment_id(name)
    request: dict[str, object] = {
        "parameters": parse_pairs(param, "--param"),
        "job_variables": parse_pairs(job_variable, "--job-variable"),
    }
    if work_queue is not None:
        request["work_queue_name"] = work_queue
    path = f"/deployments/{quote(found, safe='')}/runs"
    flow_run: dict[str, Any] = plain(
        lambda api: api.post(path, request, not_found=DeploymentNotFound)
    )
    if output is OutputFormat.json and not watch:
        print_json(flow_run)
        return
    say(
        f"Created flow run [bold]{flow_run['name']}[/bold] ({flow_run['id']}) of {name} "
        f"on pool {flow_run['work_pool_name']}."
    )
    if watch:
        from flowyard.cli.flow_run_cmd import follow

        raise typer.Exit(follow(flow_run["id"], explain_waiting=True))


@app.command("ls")
def ls(output: OutputFormat = OUTPUT_OPTION) -> None:
    """List deployments."""
    deployments: list[dict[str, Any]] = plain(lambda api: api.get("/deployments"))
    if output is OutputFormat.json:
        print_json(deployments)
        return
    print_table(
        "Deployments",
        ["name", "pool", "queue", "schedules", "paused", "id"],
        [
            (
                f"{d['flow_name']}/{d['name']}",
                d["work_pool_name"] or "(served)",
                d["work_queue_name"] or "",
                len(d["schedules"]),
                "yes" if d["paused"] else "",
                d["id"],
            )
            for d in deployments
        ],
    )


@app.command("inspect")
def inspect(name: str, output: OutputFormat = OUTPUT_OPTION) -> None:
    """Show one deployment (``flow/deployment``)."""
    print_json(find(name))


@app.command("pause")
def pause(name: str) -> None:
    """Pause a deployment's schedules (its future scheduled runs are removed)."""
    from flowyard.schemas.runs import DeploymentUpdate

    deployment = find(name)
    call(lambda api: api.update_deployment(deployment.id, DeploymentUpdate(paused=True)))
    say(f"Paused deployment {name}.")


@app.command("resume")
def resume(name: str) -> None:
    """Resume a paused deployment."""
    from flowyard.schemas.runs import DeploymentUpdate

    deployment = find(name)
    call(lambda api: api.update_deployment(deployment.id, DeploymentUpdate(paused=False)))
    say(f"Resumed deployment {name}.")


@app.command("delete")
def delete(name: str) -> None:
    """Delete a deployment and its not-yet-started runs."""
    deployment = find(name)
    call(lambda api: api.delete_deployment(deployment.id))
    say(f"Deleted deployment {name}.")


def register_deploy(root: typer.Typer) -> None:
    """Add the top-level ``flowyard deploy`` command."""

    @root.command("deploy")
    def deploy(
        names: list[str] = typer.Argument(
            None, help="deployment names to deploy (default: all in the file)"
        ),
        file: Path = typer.Option(Path("flowyard.yaml"), "--file", "-f", help="project file"),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="check the file and the flows; send nothing"
        ),
        output: OutputFormat = OUTPUT_OPTION,
    ) -> None:
        """Create or update the deployments described in flowyard.yaml (for CI/CD)."""
        from flowyard.cli.project import deploy_project

        deploy_project(
            file, list(names or []), dry_run=dry_run, as_json=output is OutputFormat.json
        )
