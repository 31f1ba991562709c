"""The base job template editor: a form from the variables schema, an Advanced JSON tab, and a
preview rendered by ``flowyard.templating`` exactly as a worker renders a claimed run."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from flowyard.schemas.pools import WorkPoolUpdate
from flowyard.server.api.deps import Perm
from flowyard.server.errors import Invalid, NotFound
from flowyard.server.services import pools
from flowyard.ui.schema_form import apply_form, errors_by_variable, fields_for
from flowyard.ui.web import ctx_of, form_of, redirect, render, viewer

router = APIRouter(include_in_schema=False)


def render_preview(template: dict[str, Any], job_variables: dict[str, Any]) -> dict[str, Any]:
    """The job configuration a worker would render for a run with these job variables."""
    from flowyard.templating import build_job_configuration, merge_job_variables

    return build_job_configuration(template, merge_job_variables(template, job_variables))


def _editor(
    request: Request,
    name: str,
    template: dict[str, Any],
    *,
    tab: str = "form",
    status: int = 200,
    field_errors: dict[str, list[str]] | None = None,
    other_errors: list[str] | None = None,
    advanced_text: str | None = None,
) -> Response:
    who = viewer(request)
    fields = fields_for(template)
    for f in fields:
        f.errors = (field_errors or {}).get(f.name, [])
    preview: Any
    try:
        preview = render_preview(template, {})
    except Exception as exc:  # a template the renderer refuses: show why, keep the editor
        preview = {"error": str(exc)}
    return render(
        request,
        "template_editor.html",
        who=who,
        status=status,
        pool_name=name,
        fields=fields,
        tab=tab,
        advanced_text=advanced_text
        if advanced_text is not None
        else json.dumps(template, indent=2),
        other_errors=other_errors or [],
        preview=preview,
        job_variables_text="{}",
    )


@router.get("/pools/{name}/template", response_class=HTMLResponse)
def template_page(request: Request, name: str, tab: str = "form") -> Response:
    """The editor with the pool's current template."""
    who = viewer(request)
    with ctx_of(request).db.read() as conn:
        try:
            template = dict(pools.get_pool_row(conn, name).base_job_template)
        except NotFound as exc:
            return render(request, "not_found.html", who=who, status=404, message=str(exc))
    return _editor(request, name, template, tab="advanced" if tab == "advanced" else "form")


@router.post("/pools/{name}/template", response_class=HTMLResponse)
async def template_save(request: Request, name: str) -> Response:
    """Save from the form (``mode=form``) or the Advanced JSON (``mode=advanced``); the server's
    template validation runs and each error is shown next to its variable."""
    _, form = await form_of(request, Perm.pools)
    ctx = ctx_of(request)
    mode = "advanced" if form.get("mode") == "advanced" else "form"
    with ctx.db.read() as conn:
        current = dict(pools.get_pool_row(conn, name).base_job_template)
    if mode == "advanced":
        text = form.get("template", "")
        try:
            template = json.loads(text)
        except json.JSONDecodeError as exc:
            return _editor(
                request,
                name,
                current,
                tab=mode,
                status=422,
                other_errors=[f"template: not valid JSON ({exc.msg} at line {exc.lineno})"],
                advanced_text=text,
            )
        if not isinstance(template, dict):
            return _editor(
                request,
                name,
                current,
                tab=mode,
                status=422,
                other_errors=["template: must be a JSON object"],
                advanced_text=text,
            )
    else:
        template, parse_errors = apply_form(current, form)
        if parse_errors:
            return _editor(request, name, template, tab=mode, status=422, field_errors=parse_errors)

    def save() -> str:
        with ctx.db.write() as conn:
            return str(pools.update_pool(conn, name, WorkPoolUpdate(base_job_template=template)).id)

    try:
        pool_id = await run_in_threadpool(save)
    except Invalid as exc:
        by_var, other = errors_by_variable(exc.errors)
        return _editor(
            request,
            name,
            template,
            tab=mode,
            status=422,
            field_errors=by_var,
            other_errors=other,
            advanced_text=json.dumps(template, indent=2)
            if mode == "form"
            else form.get("template"),
        )
    ctx.notifier.notify(pool_id)
    return redirect(
        request, f"pools/{quote(name, safe='')}/template?tab={mode}", "Base job template saved."
    )


@router.post("/pools/{name}/template/preview", response_class=HTMLResponse)
async def template_preview(request: Request, name: str) -> Response:
    """Fragment: the rendered job configuration for the given job variables (JSON)."""
    who, form = await form_of(request, Perm.read)
    with ctx_of(request).db.read() as conn:
        template = dict(pools.get_pool_row(conn, name).base_job_template)
    error = None
    result: Any = None
    try:
        values = json.loads(form.get("job_variables") or "{}")
        if not isinstance(values, dict):
            raise ValueError("job variables must be a JSON object")
        result = render_preview(template, values)
    except (ValueError, Exception) as exc:
        error = str(exc)
    return render(request, "preview.html", who=who, preview=result, error=error)
