"""Flow run pages: the list (filters in the URL, keyset pages), the run page, live logs over
server-sent events, log download, cancel."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from flowyard.schemas.common import TERMINAL_STATES, StateType
from flowyard.schemas.runs import SetState
from flowyard.server import tables as t
from flowyard.server.api.deps import Perm
from flowyard.server.errors import NotFound
from flowyard.server.services import runs, states
from flowyard.ui import queries
from flowyard.ui.web import ctx_of, environment, form_of, redirect, render, viewer, when

router = APIRouter(include_in_schema=False)
LOG_POLL_SECONDS = 0.2
LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@router.get("/runs", response_class=HTMLResponse)
def runs_list(
    request: Request,
    pool: str | None = None,
    deployment: str | None = None,
    state: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before: str | None = None,
) -> Response:
    """Runs newest first; every filter is a query parameter, so views are linkable."""
    who = viewer(request)
    f = queries.RunFilter(
        pool=pool or None,
        deployment=deployment or None,
        state=state or None,
        since=_time(since),
        until=_time(until),
        before=before or None,
    )
    with ctx_of(request).db.read() as conn:
        rows, cursor = queries.run_page(conn, f)
        pool_names = list(
            conn.execute(sa.select(t.work_pool.c.name).order_by(t.work_pool.c.name)).scalars()
        )
    filters = {
        "pool": pool or "",
        "deployment": deployment or "",
        "state": state or "",
        "since": since or "",
        "until": until or "",
    }
    return render(
        request,
        "runs.html",
        who=who,
        runs=rows,
        next_cursor=cursor,
        filters=filters,
        first_page=not before,
        states=queries.state_names(),
        pool_names=pool_names,
    )


def effective_configuration(conn: sa.Connection, run: Any) -> dict[str, Any] | None:
    """The job configuration the run's pool template renders for it (pool < deployment < run),
    as the worker computes it, without the per-claim flowyard env and labels."""
    if not run.work_pool_name:
        return None
    from flowyard.server.services.pools import get_pool_row
    from flowyard.templating import build_job_configuration, merge_job_variables

    try:
        template = dict(get_pool_row(conn, run.work_pool_name).base_job_template)
    except NotFound:
        return None
    deployment_vars: dict[str, Any] = {}
    if run.deployment_id:
        found = conn.execute(
            sa.select(t.deployment.c.job_variables).where(t.deployment.c.id == run.deployment_id)
        ).scalar()
        deployment_vars = dict(found or {})
    try:
        return build_job_configuration(
            template, merge_job_variables(template, deployment_vars, run.job_variables)
        )
    except Exception as exc:  # the renderer refuses the template: say why
        return {"error": str(exc)}


def timeline_html(history: list[Any], now: dt.datetime | None = None) -> str:
    """The state timeline fragment (bars sized by time spent in each state, plus a list)."""
    now = now or dt.datetime.now(dt.UTC)
    segments = []
    for index, state in enumerate(history):
        end = history[index + 1].timestamp if index + 1 < len(history) else None
        seconds = ((end or now) - state.timestamp).total_seconds()
        if end is None and state.type in TERMINAL_STATES:
            seconds = 0.0
        segments.append({"state": state, "seconds": max(seconds, 0.0), "end": end})
    total = sum(s["seconds"] for s in segments) or 1.0
    for s in segments:
        s["percent"] = max(100.0 * s["seconds"] / total, 1.5)
    return str(environment().get_template("timeline.html").render(segments=segments))


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str) -> Response:
    """One run: state, timeline, parameters, job configuration, infrastructure, live logs."""
    who = viewer(request)
    with ctx_of(request).db.read() as conn:
        try:
            run = runs.read_run(conn, run_id)
        except NotFound as exc:
            return render(request, "not_found.html", who=who, status=404, message=str(exc))
        history = runs.history(conn, run_id)
        configuration = effective_configuration(conn, run)
    return render(
        request,
        "run.html",
        who=who,
        run=run,
        timeline=timeline_html(history),
        configuration=configuration,
        terminal=run.state_type in TERMINAL_STATES,
        cancellable=run.state_type in {StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING},
    )


def _log_dict(log_id: int, log: Any) -> dict[str, Any]:
    return {
        "id": log_id,
        "level": log.level,
        "name": log.name,
        "message": log.message,
        "time": log.timestamp.astimezone(dt.UTC).strftime("%H:%M:%S.%f")[:-3],
    }


def _event(name: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data)}\n\n"


@router.get("/runs/{run_id}/logs/stream")
async def logs_stream(request: Request, run_id: str, after: int = 0) -> Response:
    """Server-sent events: ``logs`` batches (event id = last log id, so a reconnect resumes after
    ``Last-Event-ID`` with no gap or repeat), ``state`` changes with the timeline, and ``end`` once
    the run is terminal and a final read found no more lines."""
    viewer(request)
    ctx = ctx_of(request)
    resume = request.headers.get("last-event-id", "")
    last_id = int(resume) if resume.isdigit() else after

    def read(after_id: int) -> tuple[list[tuple[int, Any]], Any]:
        with ctx.db.read() as conn:
            logs = runs.read_logs(conn, run_id, after_id, 500)
            row = conn.execute(
                sa.select(
                    t.flow_run.c.state_type,
                    t.flow_run.c.state_name,
                    t.flow_run.c.state_message,
                    t.flow_run.c.infrastructure_id,
                    t.flow_run.c.worker_name,
                    t.flow_run.c.state_timestamp,
                    t.flow_run.c.start_time,
                    t.flow_run.c.end_time,
                ).where(t.flow_run.c.id == run_id)
            ).one()
            return logs, row

    def read_timeline() -> str:
        with ctx.db.read() as conn:
            return timeline_html(runs.history(conn, run_id))

    async def events() -> AsyncIterator[str]:
        nonlocal last_id
        seen_state: tuple[Any, ...] | None = None
        yield "retry: 1000\n\n"
        while not await request.is_disconnected():
            logs, row = await run_in_threadpool(read, last_id)
            if logs:
                last_id = logs[-1][0]
                yield _event("logs", [_log_dict(i, log) for i, log in logs], last_id)
            state = (row.state_type, row.state_name, row.state_timestamp, row.infrastructure_id)
            if state != seen_state:
                seen_state = state
                yield _event(
                    "state",
                    {
                        "type": row.state_type,
                        "name": row.state_name,
                        "message": row.state_message,
                        "infrastructure_id": row.infrastructure_id,
                        "worker": row.worker_name,
                        "start_time": when(row.start_time),
                        "end_time": when(row.end_time),
                        "timeline": await run_in_threadpool(read_timeline),
                    },
                )
            if row.state_type in {s.value for s in TERMINAL_STATES} and not logs:
                yield _event("end", {"state": row.state_name})
                return
            if len(logs) < 500:
                await asyncio.sleep(LOG_POLL_SECONDS)

    with ctx.db.read() as conn:
        try:
            states.get_run_row(conn, run_id)
        except NotFound:
            return Response("Flow run not found.", status_code=404)
    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/runs/{run_id}/logs/download")
def logs_download(request: Request, run_id: str, level: str = "DEBUG") -> Response:
    """Every log line of the run as plain text, streamed from the database in batches."""
    viewer(request)
    ctx = ctx_of(request)
    minimum = LEVELS.get(level.upper(), 0)
    names = {number: name for name, number in LEVELS.items()}

    def lines() -> Iterator[bytes]:
        after = 0
        while True:
            with ctx.db.read() as conn:
                batch = conn.execute(
                    sa.select(
                        t.log.c.id, t.log.c.level, t.log.c.name, t.log.c.message, t.log.c.timestamp
                    )
                    .where(
                        t.log.c.flow_run_id == run_id, t.log.c.id > after, t.log.c.level >= minimum
                    )
                    .order_by(t.log.c.id)
                    .limit(5000)
                ).all()
            if not batch:
                return
            after = batch[-1].id
            yield "".join(  # one chunk per batch: each chunk is a thread hop
                f"{r.timestamp.astimezone(dt.UTC).isoformat()} "
                f"{names.get(r.level, str(r.level)):<8} {r.name} | {r.message}\n"
                for r in batch
            ).encode()

    with ctx.db.read() as conn:
        try:
            states.get_run_row(conn, run_id)
        except NotFound:
            return Response("Flow run not found.", status_code=404)
    return StreamingResponse(
        lines(),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="flow-run-{run_id}.log"'},
    )


@router.post("/runs/{run_id}/cancel")
async def run_cancel(request: Request, run_id: str) -> Response:
    """Cancel: a SCHEDULED run is cancelled at once, a claimed one goes CANCELLING."""
    await form_of(request, Perm.runs)
    ctx = ctx_of(request)

    def cancel() -> states.Transition:
        with ctx.db.write() as conn:
            return states.transition(
                conn, run_id, SetState(type=StateType.CANCELLING, message="Cancelled by a user.")
            )

    done = await run_in_threadpool(cancel)
    done.wake(ctx.notifier)
    status = done.result.status
    message = "Cancellation requested." if status == "ACCEPT" else f"Cancel refused ({status})."
    return redirect(request, f"runs/{run_id}", message)
