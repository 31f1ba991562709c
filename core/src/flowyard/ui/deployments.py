"""Deployment pages: list, detail, pause/resume, Run with parameters and job variables."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from flowyard.schemas.runs import DeploymentUpdate, FlowRunCreate
from flowyard.server.api.deps import Perm
from flowyard.server.errors import Invalid, NotFound
from flowyard.server.services import deployments, runs
from flowyard.ui import queries
from flowyard.ui.schema_form import parameter_schema_of, schema_fields, values_from_form
from flowyard.ui.web import ctx_of, form_of, redirect, render, viewer

router = APIRouter(include_in_schema=False)


@router.get("/deployments", response_class=HTMLResponse)
def deployments_list(
    request: Request, after: str | None = None, pool: str | None = None, q: str | None = None
) -> Response:
    """Deployments by flow/name, 50 per page (keyset), filterable by pool and name."""
    who = viewer(request)
    with ctx_of(request).db.read() as conn:
        rows, cursor = queries.deployment_page(conn, after=after, pool_name=pool, search=q)
    return render(
        request, "deployments.html", who=who, deployments=rows, next_cursor=cursor, pool=pool, q=q
    )


def _detail(
    request: Request,
    deployment_id: str,
    *,
    status: int = 200,
    errors: list[dict[str, str]] | None = None,
    parameters_text: str | None = None,
    job_variables_text: str | None = None,
    field_errors: dict[str, list[str]] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    who = viewer(request)
    with ctx_of(request).db.read() as conn:
        try:
            dep = deployments.read_deployment(conn, deployment_id)
        except NotFound as exc:
            return render(request, "not_found.html", who=who, status=404, message=str(exc))
        recent, _ = queries.run_page(conn, queries.RunFilter(deployment=deployment_id), limit=10)
    schema = parameter_schema_of(dep)
    param_fields = schema_fields(schema, dep.parameters) if schema else []
    for f in param_fields:
        f.errors = (field_errors or {}).get(f.name, [])
        if typed and f"param.{f.name}" in typed:
            f.value = typed[f"param.{f.name}"]
    return render(
        request,
        "deployment.html",
        who=who,
        status=status,
        dep=dep,
        runs=recent,
        errors=errors or [],
        param_fields=param_fields,
        parameters_text=parameters_text
        if parameters_text is not None
        else json.dumps(dep.parameters, indent=2),
        job_variables_text=job_variables_text if job_variables_text is not None else "{}",
    )


@router.get("/deployments/{deployment_id}", response_class=HTMLResponse)
def deployment_page(request: Request, deployment_id: str) -> Response:
    """One deployment: schedules, parameters, job variables, pool, recent runs, Run form."""
    return _detail(request, deployment_id)


@router.post("/deployments/{deployment_id}/pause")
async def deployment_pause(request: Request, deployment_id: str) -> Response:
    """Pause (future scheduled runs are removed) or resume."""
    _, form = await form_of(request, Perm.deployments)
    paused = form.get("paused") == "true"

    def change() -> None:
        with ctx_of(request).db.write() as conn:
            deployments.update_deployment(conn, deployment_id, DeploymentUpdate(paused=paused))

    await run_in_threadpool(change)
    return redirect(
        request,
        form.get("back") or f"deployments/{deployment_id}",
        "Deployment paused." if paused else "Deployment resumed.",
    )


def _parameter_errors(errors: list[dict[str, str]]) -> dict[str, list[str]]:
    """Server errors about ``parameters.<name>`` keyed by parameter name."""
    out: dict[str, list[str]] = {}
    for error in errors:
        field = error.get("field", "")
        if field.startswith("parameters."):
            out.setdefault(field.split(".")[1], []).append(error["message"])
    return out


def _json_object(text: str, field: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise Invalid(f"not valid JSON ({exc.msg})", field=field) from None
    if not isinstance(value, dict):
        raise Invalid("must be a JSON object", field=field)
    return value


@router.post("/deployments/{deployment_id}/run", response_class=HTMLResponse)
async def deployment_run(request: Request, deployment_id: str) -> Response:
    """Create a run with the form's parameters and job variables (validated by the server)."""
    _, form = await form_of(request, Perm.runs)
    ctx = ctx_of(request)
    schema = None
    if any(key.startswith("param.") for key in form):
        with ctx.db.read() as conn:
            schema = parameter_schema_of(deployments.read_deployment(conn, deployment_id))
    try:
        if schema is not None:
            parameters, parse_errors = values_from_form(schema, form, "param.")
            if parse_errors:
                return _detail(
                    request,
                    deployment_id,
                    status=422,
                    field_errors=parse_errors,
                    typed=form,
                    job_variables_text=form.get("job_variables", ""),
                )
        else:
            parameters = _json_object(form.get("parameters", ""), "parameters")
        body = FlowRunCreate(
            parameters=parameters,
            job_variables=_json_object(form.get("job_variables", ""), "job_variables"),
        )

        def create() -> tuple[str, str | None]:
            with ctx.db.write() as conn:
                return runs.create_from_deployment(conn, deployment_id, body)

        run_id, pool_id = await run_in_threadpool(create)
    except Invalid as exc:
        return _detail(
            request,
            deployment_id,
            status=422,
            errors=exc.errors or [{"field": exc.field or "", "message": str(exc)}],
            field_errors=_parameter_errors(exc.errors),
            typed=form,
            parameters_text=form.get("parameters", ""),
            job_variables_text=form.get("job_variables", ""),
        )
    ctx.notifier.notify(pool_id or "served")
    return redirect(request, f"runs/{run_id}", "Flow run created.")
