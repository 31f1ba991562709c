"""Work pools, queues, workers and the claim endpoint."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import APIRouter, Depends, Query, Request, Response

from flowyard import limits
from flowyard.schemas.pools import (
    Heartbeat,
    WorkPool,
    WorkPoolCreate,
    WorkPoolUpdate,
    WorkQueue,
    WorkQueueCreate,
    WorkQueueUpdate,
)
from flowyard.schemas.runs import ClaimRequest, ClaimResponse, FlowRun
from flowyard.server import run_tokens
from flowyard.server.api.deps import Perm, context, refuse_worker_key, require, run_token_key
from flowyard.server.api.longpoll import long_poll
from flowyard.server.retry import RetryingRoute
from flowyard.server.services import claim as claims
from flowyard.server.services import pools, runs, workers
from flowyard.server.services.claimed import (
    Claim,
    answered_runs,
    claim_answer_json,
    claimed_runs,
)
from flowyard.server.services.context import ServerContext

router = APIRouter(prefix="/api/work_pools", tags=["work pools"], route_class=RetryingRoute)
READ = Depends(require(Perm.read))
WRITE = Depends(require(Perm.pools))
WORK = Depends(require(Perm.work))


def _multiple(ctx: ServerContext) -> float:
    return ctx.settings.server_worker_offline_multiple


@router.post("", status_code=201, dependencies=[WRITE])
def create_pool(body: WorkPoolCreate, ctx: ServerContext = Depends(context)) -> WorkPool:
    """Create a pool (and its ``default`` queue). 409 if the name is taken."""
    with ctx.db.write() as conn:
        row = pools.create_pool(conn, body)
        return pools.pool_model(conn, row, _multiple(ctx))


@router.get("", dependencies=[READ])
def list_pools(ctx: ServerContext = Depends(context)) -> list[WorkPool]:
    """Every pool, by name."""
    import sqlalchemy as sa

    from flowyard.server import models as m
    from flowyard.server import tables as t

    with ctx.db.read() as conn:
        rows = conn.execute(sa.select(t.work_pool).order_by(t.work_pool.c.name)).all()
        return [pools.pool_model(conn, m.typed(m.WorkPool, r), _multiple(ctx)) for r in rows]


@router.get("/{name}", dependencies=[READ])
def read_pool(name: str, ctx: ServerContext = Depends(context)) -> WorkPool:
    """One pool with its status and active slots."""
    with ctx.db.read() as conn:
        return pools.pool_model(conn, pools.get_pool_row(conn, name), _multiple(ctx))


@router.patch("/{name}", dependencies=[WRITE])
def update_pool(name: str, body: WorkPoolUpdate, ctx: ServerContext = Depends(context)) -> WorkPool:
    """Change description, template (validated), pause state or concurrency limit."""
    with ctx.db.write() as conn:
        row = pools.update_pool(conn, name, body)
        model = pools.pool_model(conn, row, _multiple(ctx))
    ctx.notifier.notify(model.id)
    return model


@router.delete("/{name}", status_code=204, dependencies=[WRITE])
def delete_pool(name: str, ctx: ServerContext = Depends(context)) -> Response:
    """Delete a pool (409 while deployments use it)."""
    with ctx.db.write() as conn:
        pools.delete_pool(conn, name)
    return Response(status_code=204)


@router.get("/{name}/preview", dependencies=[READ])
def preview(
    name: str,
    hours: float = Query(1.0, ge=0, le=limits.PREVIEW_HOURS_MAX, allow_inf_nan=False),
    limit: int = Query(
        limits.PREVIEW_LIMIT_DEFAULT,
        ge=1,
        le=limits.PREVIEW_LIMIT_MAX,
        description="at most this many runs, the earliest first",
    ),
    ctx: ServerContext = Depends(context),
) -> list[FlowRun]:
    """Scheduled runs due within ``hours``, the earliest ``limit`` (read-only: not a poll)."""
    with ctx.db.read() as conn:
        return runs.due_in_pool(conn, pools.get_pool_row(conn, name).id, hours, limit)


# ------------------------------------------------------------------ queues


@router.get("/{name}/queues", dependencies=[READ])
def list_queues(name: str, ctx: ServerContext = Depends(context)) -> list[WorkQueue]:
    """The pool's queues in priority order."""
    with ctx.db.read() as conn:
        return pools.list_queues(conn, name)


@router.post("/{name}/queues", status_code=201, dependencies=[WRITE])
def create_queue(
    name: str, body: WorkQueueCreate, ctx: ServerContext = Depends(context)
) -> WorkQueue:
    """Create a queue; priorities stay unique (colliding queues move down)."""
    with ctx.db.write() as conn:
        return pools.queue_model(conn, pools.create_queue(conn, name, body), name)


@router.get("/{name}/queues/{queue}", dependencies=[READ])
def read_queue(name: str, queue: str, ctx: ServerContext = Depends(context)) -> WorkQueue:
    """One queue."""
    with ctx.db.read() as conn:
        return pools.queue_model(conn, pools.get_queue_row(conn, name, queue), name)


@router.patch("/{name}/queues/{queue}", dependencies=[WRITE])
def update_queue(
    name: str, queue: str, body: WorkQueueUpdate, ctx: ServerContext = Depends(context)
) -> WorkQueue:
    """Change a queue; a new priority re-sequences the pool."""
    with ctx.db.write() as conn:
        model = pools.queue_model(conn, pools.update_queue(conn, name, queue, body), name)
    ctx.notifier.notify(model.pool_id)
    return model


@router.delete("/{name}/queues/{queue}", status_code=204, dependencies=[WRITE])
def delete_queue(name: str, queue: str, ctx: ServerContext = Depends(context)) -> Response:
    """Delete a queue (409 for the default queue)."""
    with ctx.db.write() as conn:
        pools.delete_queue(conn, name, queue)
    return Response(status_code=204)


# ------------------------------------------------------------------ workers


@router.post("/{name}/workers/heartbeat", status_code=204, dependencies=[WORK])
def heartbeat(name: str, body: Heartbeat, ctx: ServerContext = Depends(context)) -> Response:
    """Record a heartbeat and renew the leases of the runs the worker holds."""
    with ctx.db.write() as conn:
        workers.heartbeat(
            conn,
            name,
            body,
            ctx.settings.server_claim_lease_seconds,
            ctx.settings.server_running_lease_seconds,
        )
    return Response(status_code=204)


@router.get("/{name}/workers", dependencies=[READ])
def list_workers(name: str, ctx: ServerContext = Depends(context)):  # type: ignore[no-untyped-def]
    """The pool's workers with ONLINE/OFFLINE status."""
    with ctx.db.read() as conn:
        return workers.list_workers(conn, name, _multiple(ctx))


@router.post("/{name}/workers/{worker}/stopped", status_code=204, dependencies=[WORK])
def worker_stopped(name: str, worker: str, ctx: ServerContext = Depends(context)) -> Response:
    """The worker is leaving (it stopped cleanly): it is OFFLINE from now on, until it heartbeats."""
    with ctx.db.write() as conn:
        workers.worker_stopped(conn, name, worker)
    return Response(status_code=204)


@router.delete("/{name}/workers/{worker}", status_code=204, dependencies=[WORK])
def delete_worker(
    name: str, worker: str, request: Request, ctx: ServerContext = Depends(context)
) -> Response:
    """Forget a worker. Not with a worker key: a worker never deletes workers."""
    refuse_worker_key(request, "delete workers")
    with ctx.db.write() as conn:
        workers.delete_worker(conn, name, worker)
    return Response(status_code=204)


# ------------------------------------------------------------------ claim


def _preview_once(ctx: ServerContext, name: str, body: ClaimRequest) -> tuple[str, ClaimResponse]:
    """``dry_run``: what a claim would take, in one read transaction (no lock, no write)."""
    with ctx.db.read() as conn:
        pool_row = pools.get_pool_row(conn, name)
        previewed = claims.preview(conn, pool_row, body)
        cancelling, lost = claims.held_status(conn, body.worker_name, body.held_run_ids)
        items = claimed_runs(conn, previewed, pool_row.base_job_template, preview=True)
    return pool_row.id, ClaimResponse(runs=items, cancelling=cancelling, lost=lost)


def _claim_once(
    ctx: ServerContext,
    name: str,
    body: ClaimRequest,
    *,
    record_poll: bool = False,
    renew: bool = True,
) -> tuple[str, ClaimResponse, bytes | None]:
    """One claim attempt: (pool id, response, the response's JSON when it was built with the
    runs). ``record_poll``: also set the polled queues' ``last_polled`` (the first attempt of a
    request), in the claim's own write transaction when there is one. ``renew``: renew the held
    runs' leases (a write); otherwise, with nothing due, their status is read without the write
    lock (a long poll's re-checks: a finished run wakes every poller of its pool).

    A read-only check comes first, so an idle poll never takes the write lock; a pool whose last
    claim on this replica took all it asked for (``ctx.backlogged_pools``) skips it."""
    if body.dry_run:
        return (*_preview_once(ctx, name, body), None)
    lease = body.lease_seconds or ctx.settings.server_claim_lease_seconds
    # recorded here less than a second ago: neither read nor written again (ctx.polls)
    record_poll = record_poll and not ctx.polls.is_fresh(name, body.work_queue_names)
    # a pool whose last claim here took all it asked for most likely still has due runs: its
    # claim goes straight to the write transaction (three statements and a transaction fewer)
    backlogged = body.limit > 0 and name in ctx.backlogged_pools
    ctx.backlogged_pools.discard(name)
    if backlogged:
        return _write_attempt(ctx, name, body, lease, None if record_poll else [], claim=True)
    with ctx.db.read() as conn:
        pool_row = pools.get_pool_head(conn, name)
        pool_id = pool_row.id
        stale = (
            workers.stale_polled_queues(conn, pool_id, body.work_queue_names) if record_poll else []
        )
        due = claims.anything_due(conn, pool_row, body) and body.limit > 0
        cancelling: list[str] = []
        lost: list[str] = []
        if not due and not renew and body.held_run_ids:
            cancelling, lost = claims.held_status(conn, body.worker_name, body.held_run_ids)
    if due or (renew and body.held_run_ids):
        return _write_attempt(ctx, name, body, lease, stale, claim=due)
    if stale:
        since = time.monotonic()
        with ctx.db.write() as conn:
            workers.record_poll(conn, name, stale)
        ctx.polls.mark(name, body.work_queue_names, since)
    return pool_id, ClaimResponse(runs=[], cancelling=cancelling, lost=lost), None


def _write_attempt(
    ctx: ServerContext,
    name: str,
    body: ClaimRequest,
    lease: float,
    stale: list[str] | None,
    *,
    claim: bool,
) -> tuple[str, ClaimResponse, bytes]:
    """The claim's write transaction: record the poll, renew the held runs' leases, claim (when
    ``claim``) and build the answer. ``stale``: the polled queues to mark (read before the
    transaction); ``None``: find them here (a backlogged pool's claim, which reads nothing first)."""
    token = run_token_issuer(ctx)  # the key is read (or first stored) outside the claim
    cancelling: list[str] = []
    lost: list[str] = []
    claimed: list[Claim] = []
    since = time.monotonic()
    with ctx.db.write() as conn:
        locked = pools.get_pool_row(conn, name, lock=True)  # the lock order: pool, queues, runs
        if stale is None:
            stale = workers.stale_polled_queues(conn, locked.id, body.work_queue_names)
        workers.record_poll(conn, name, stale, pool_locked=True)
        if body.held_run_ids:
            cancelling, lost = claims.watch_held(
                conn,
                locked.id,
                body.worker_name,
                body.held_run_ids,
                lease,
                ctx.settings.server_running_lease_seconds,
            )
        if claim:  # the poll is recorded above (or by this request's first attempt)
            claimed = claims.claim(conn, name, body, lease, pool=locked, mark_polled=False)
        # built and serialised before the commit; a run whose answer cannot be built is set
        # aside (FAILED, naming the field), the rest is answered
        answered = answered_runs(conn, claimed, locked.base_job_template, run_token=token)
    if stale:
        ctx.polls.mark(name, body.work_queue_names, since)
    if claim and len(claimed) >= body.limit:
        ctx.backlogged_pools.add(name)
    response = ClaimResponse(runs=answered.runs, cancelling=cancelling, lost=lost)
    return locked.id, response, claim_answer_json(answered, cancelling, lost)


def run_token_issuer(ctx: ServerContext) -> Callable[[str], str]:
    """Issues a claimed run's flow-run token (what the run uses as its API key)."""
    key = run_token_key(ctx)
    ttl = ctx.settings.server_run_token_seconds

    def issue(run_id: str) -> str:
        return run_tokens.issue(key, run_id, ttl)

    return issue


@router.post("/{name}/claim", dependencies=[WORK], response_model=ClaimResponse)
async def claim(
    name: str, body: ClaimRequest, request: Request, ctx: ServerContext = Depends(context)
) -> Response:
    """Atomically claim up to ``limit`` due runs (waterfall priority, within limits).

    With ``wait_seconds`` the request waits for work (long-poll) and returns as soon as a run is
    claimed or one of ``held_run_ids`` is asked to cancel. Leases of held runs are renewed. A
    worker that hangs up (it is shutting down) ends its poll: nothing is claimed for it after that.
    """
    first = [not body.dry_run]  # a preview is not a poll: it changes nothing
    built: list[tuple[ClaimResponse, bytes]] = []
    # held leases are renewed by the first attempt, then again once a third of the lease has
    # passed (a long poll's re-checks read the held runs' status without the write lock)
    renew_every = (body.lease_seconds or ctx.settings.server_claim_lease_seconds) / 3
    renewed = [-math.inf]

    def attempt() -> tuple[str, ClaimResponse]:
        record, first[0] = first[0], False
        renew = time.monotonic() - renewed[0] >= renew_every
        if renew:
            renewed[0] = time.monotonic()
        key, response, text = _claim_once(ctx, name, body, record_poll=record, renew=renew)
        if text is not None:
            built[:] = [(response, text)]
        return key, response

    result = await long_poll(ctx, request, body.wait_seconds, attempt)
    if built and built[0][0] is result:  # its JSON was built with the runs, in the claim
        return Response(built[0][1], media_type="application/json")
    # serialised once, as is: the response model is already valid (no second validation pass)
    return Response(result.model_dump_json(), media_type="application/json")
