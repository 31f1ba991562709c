"""Work pool pages: list, create, pool tabs (details, queues, workers, deployments, runs)."""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from flowyard.schemas.common import WorkerStatus
from flowyard.schemas.pools import WorkPoolCreate, WorkPoolUpdate, WorkQueueCreate, WorkQueueUpdate
from flowyard.server.api.deps import Perm
from flowyard.server.errors import Conflict, Invalid, NotFound
from flowyard.server.services import pools, workers
from flowyard.ui import queries
from flowyard.ui.web import ctx_of, form_of, redirect, render, viewer

router = APIRouter(include_in_schema=False)
TABS = ("details", "queues", "workers", "deployments", "runs")


def start_command(pool: str, queue: str | None = None) -> str:
    """The exact command that starts a worker for this pool (and queue)."""
    command = f"flowyard worker start --pool {shlex.quote(pool)}"
    return command + (f" --work-queue {shlex.quote(queue)}" if queue else "")


_CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, Any]] = {}


def _cached(key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` remembered for a few seconds (entry-point metadata scans are slow-ish)."""
    now = time.monotonic()
    key = f"{key}|{os.environ.get('FLOWYARD_WORKER_REGISTRY', '')}"  # another registry: recompute
    hit = _cache.get(key)
    if hit is None or now - hit[0] > _CACHE_SECONDS:
        hit = (now, compute())
        _cache[key] = hit
    return hit[1]


def worker_type_choices() -> list[dict[str, Any]]:
    """Types for the create form: installed (incl. custom plugins) and known from the registry."""
    return list(_cached("types", _worker_type_choices))


def _worker_type_choices() -> list[dict[str, Any]]:
    from flowyard.registry import known_types
    from flowyard.worker_types import list_types

    known = known_types()
    return [
        {
            "name": ty.name,
            "installed": ty.installed,
            "description": known[ty.name].description if ty.name in known else "",
        }
        for ty in list_types()
    ]


def default_template_text(worker_type: str) -> str:
    """The type's default base job template as JSON text ("{}" when it has none)."""
    return str(_cached(f"template:{worker_type}", lambda: _default_template_text(worker_type)))


def _default_template_text(worker_type: str) -> str:
    from flowyard.errors import PluginError, UnknownWorkerType
    from flowyard.worker_types import default_base_job_template

    try:
        return json.dumps(default_base_job_template(worker_type, validate=False), indent=2)
    except (UnknownWorkerType, PluginError):
        return "{}"


@router.get("/pools", response_class=HTMLResponse)
def pools_list(request: Request, fragment: bool = False) -> Response:
    """The pools list; ``?fragment=1`` returns only the table body (refreshed every 2 s)."""
    who = viewer(request)
    ctx = ctx_of(request)
    with ctx.db.read() as conn:
        rows = queries.pool_summaries(conn, ctx.settings.server_worker_offline_multiple)
    name = "pools_rows.html" if fragment else "pools.html"
    return render(request, name, who=who, pools=rows)


@router.get("/pools/new", response_class=HTMLResponse)
def pool_new(request: Request, type: str = "process") -> Response:
    """The create form, pre-filled with the chosen type's default template."""
    who = viewer(request, Perm.pools)
    return render(
        request,
        "pool_new.html",
        who=who,
        types=worker_type_choices(),
        values={"name": "", "type": type, "description": "", "concurrency_limit": ""},
        template_text=default_template_text(type),
        errors=[],
    )


@router.get("/pools/new/template", response_class=HTMLResponse)
def pool_new_template(request: Request, type: str = "process") -> Response:
    """The template textarea for a type (swapped in when the type picker changes)."""
    who = viewer(request, Perm.pools)
    return render(
        request, "pool_new_template.html", who=who, template_text=default_template_text(type)
    )


def _int_or_none(text: str, field: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid(f"{field} must be a whole number or empty", field=field) from None


@router.post("/pools", response_class=HTMLResponse)
async def pool_create(request: Request) -> Response:
    """Create a pool from the form; errors re-render the form next to their fields."""
    who, form = await form_of(request, Perm.pools)
    errors: list[dict[str, str]] = []
    try:
        try:
            template = json.loads(form.get("base_job_template") or "{}")
        except json.JSONDecodeError as exc:
            raise Invalid(f"not valid JSON ({exc.msg})", field="base_job_template") from None
        body = WorkPoolCreate(
            name=form.get("name", "").strip(),
            type=form.get("type", "").strip(),
            description=form.get("description", ""),
            concurrency_limit=_int_or_none(form.get("concurrency_limit", ""), "concurrency_limit"),
            base_job_template=template,
        )

        def create() -> None:
            with ctx_of(request).db.write() as conn:
                pools.create_pool(conn, body)

        await run_in_threadpool(create)
        return redirect(request, f"pools/{_q(body.name)}", f"Work pool '{body.name}' created.")
    except Invalid as exc:
        errors = exc.errors or [{"field": exc.field or "", "message": str(exc)}]
    except Conflict as exc:
        errors = [{"field": "name", "message": str(exc)}]
    except ValueError as exc:  # pydantic validation of the form values
        errors = _pydantic_errors(exc)
    return render(
        request,
        "pool_new.html",
        who=who,
        status=422,
        types=worker_type_choices(),
        values=form,
        template_text=form.get("base_job_template", ""),
        errors=errors,
    )


def _pydantic_errors(exc: ValueError) -> list[dict[str, str]]:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
    return [{"field": "", "message": str(exc)}]


def _q(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@router.post("/pools/{name}/pause")
async def pool_pause(request: Request, name: str) -> Response:
    """Pause or resume a pool (``paused`` = true/false); back to where the form was."""
    _, form = await form_of(request, Perm.pools)
    paused = form.get("paused") == "true"
    ctx = ctx_of(request)

    def change() -> str:
        with ctx.db.write() as conn:
            return str(pools.update_pool(conn, name, WorkPoolUpdate(is_paused=paused)).id)

    pool_id = await run_in_threadpool(change)
    ctx.notifier.notify(pool_id)
    back = form.get("back") or "pools"
    return redirect(request, back, f"Work pool '{name}' {'paused' if paused else 'resumed'}.")


@router.get("/pools/{name}", response_class=HTMLResponse)
def pool_page(request: Request, name: str, tab: str = "details") -> Response:
    """A pool with its tabs (``?tab=``)."""
    who = viewer(request)
    ctx = ctx_of(request)
    multiple = ctx.settings.server_worker_offline_multiple
    tab = tab if tab in TABS else "details"
    values: dict[str, Any] = {}
    with ctx.db.read() as conn:
        try:
            row = pools.get_pool_row(conn, name)
        except NotFound as exc:
            return render(request, "not_found.html", who=who, status=404, message=str(exc))
        pool = pools.pool_model(conn, row, multiple)
        queue_list = pools.list_queues(conn, name)
        worker_list = workers.list_workers(conn, name, multiple)
        held = queries.runs_held(conn, row.id)
        if tab == "deployments":
            values["deployments"], values["next_cursor"] = queries.deployment_page(
                conn, pool_name=name, limit=100
            )
        if tab == "runs":
            values["runs"], values["next_cursor"] = queries.run_page(
                conn, queries.RunFilter(pool=name), limit=20
            )
    from flowyard.ui.schema_form import fields_for

    return render(
        request,
        "pool.html",
        who=who,
        pool=pool,
        tab=tab,
        tabs=TABS,
        queues=queue_list,
        workers=worker_list,
        held=held,
        offline=sum(1 for w in worker_list if w.status is WorkerStatus.OFFLINE),
        command=start_command(name),
        fields=fields_for(pool.base_job_template),
        **values,
    )


@router.post("/pools/{name}/queues")
async def queue_create(request: Request, name: str) -> Response:
    """Add a queue to the pool."""
    _, form = await form_of(request, Perm.pools)
    back = f"pools/{_q(name)}?tab=queues"
    try:
        body = WorkQueueCreate(
            name=form.get("name", "").strip(),
            priority=_int_or_none(form.get("priority", ""), "priority"),
            concurrency_limit=_int_or_none(form.get("concurrency_limit", ""), "concurrency_limit"),
        )

        def create() -> None:
            with ctx_of(request).db.write() as conn:
                pools.create_queue(conn, name, body)

        await run_in_threadpool(create)
    except (Invalid, Conflict, ValueError) as exc:
        return redirect(request, back, f"Queue not created: {exc}")
    return redirect(request, back, f"Queue '{body.name}' created.")


@router.post("/pools/{name}/queues/{queue}")
async def queue_change(request: Request, name: str, queue: str) -> Response:
    """Move a queue up/down (``move``), or pause/resume it (``paused``)."""
    _, form = await form_of(request, Perm.pools)
    ctx = ctx_of(request)

    def change() -> str:
        with ctx.db.write() as conn:
            if "paused" in form:
                body = WorkQueueUpdate(is_paused=form["paused"] == "true")
            else:
                ordered = pools.list_queues(conn, name)
                index = next(i for i, q in enumerate(ordered) if q.name == queue)
                if form.get("move") == "up" and index > 0:
                    body = WorkQueueUpdate(priority=ordered[index - 1].priority)
                elif form.get("move") == "down" and index < len(ordered) - 1:
                    body = WorkQueueUpdate(priority=ordered[index + 1].priority + 1)
                else:
                    body = WorkQueueUpdate()
            return str(pools.update_queue(conn, name, queue, body).pool_id)

    ctx.notifier.notify(await run_in_threadpool(change))
    return redirect(request, f"pools/{_q(name)}?tab=queues")


@router.post("/pools/{name}/workers/remove-offline")
async def workers_remove_offline(request: Request, name: str) -> Response:
    """Forget the pool's OFFLINE workers (ONLINE ones are never removed)."""
    _, form = await form_of(request, Perm.pools)
    ctx = ctx_of(request)
    only = form.get("worker")

    def remove() -> int:
        with ctx.db.write() as conn:
            gone = [
                w.name
                for w in workers.list_workers(
                    conn, name, ctx.settings.server_worker_offline_multiple
                )
                if w.status is WorkerStatus.OFFLINE and (only is None or w.name == only)
            ]
            for worker_name in gone:
                workers.delete_worker(conn, name, worker_name)
            return len(gone)

    removed = await run_in_threadpool(remove)
    return redirect(
        request, f"pools/{_q(name)}?tab=workers", f"Removed {removed} offline worker(s)."
    )
