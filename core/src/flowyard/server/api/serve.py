"""``POST /api/deployments/claim``: how ``flow.serve`` takes the runs of its own deployments."""

from __future__ import annotations

import time

import anyio
from fastapi import APIRouter, Depends, Request

from flowyard.schemas.runs import ClaimedRun, ClaimResponse, Deployment, ServedClaimRequest
from flowyard.server.api.deps import Perm, context, require
from flowyard.server.services import claim as claims
from flowyard.server.services import runs, workers
from flowyard.server.services.context import ServerContext
from flowyard.server.services.deployments import deployment_model, get_deployment_row
from flowyard.server.services.serve_claim import claim_served, due_runs

router = APIRouter(tags=["deployments"])
SERVED = "served"  # notifier key: something changed for pool-less (served) runs


def _claim_once(ctx: ServerContext, body: ServedClaimRequest) -> ClaimResponse:
    lease = body.lease_seconds or ctx.settings.server_claim_lease_seconds
    with ctx.db.read() as conn:
        for deployment_id in body.deployment_ids:
            get_deployment_row(conn, deployment_id)  # 404 for an unknown deployment
        due = due_runs(conn, body.deployment_ids, body.limit)
    claimed: list[tuple[str, str, object]] = []
    cancelling: list[str] = []
    lost: list[str] = []
    if due or body.held_run_ids:
        with ctx.db.write() as conn:
            if body.held_run_ids:
                workers.renew_leases(conn, None, body.worker_name, body.held_run_ids, lease)
                cancelling, lost = claims.held_status(conn, "", body.worker_name, body.held_run_ids)
            if due:
                claimed = claim_served(conn, due, body.worker_name, lease)  # type: ignore[assignment]
    items: list[ClaimedRun] = []
    if claimed:
        with ctx.db.read() as conn:
            by_id = {r.id: r for r in runs.read_runs(conn, [c[0] for c in claimed])}
            cache: dict[str, Deployment] = {}
            for run_id, claim_id, lease_expires in claimed:
                run = by_id[run_id]
                deployment_id = str(run.deployment_id)
                if deployment_id not in cache:
                    cache[deployment_id] = deployment_model(
                        conn, get_deployment_row(conn, deployment_id)
                    )
                items.append(
                    ClaimedRun(
                        flow_run=run,
                        claim_id=claim_id,
                        lease_expires=lease_expires,  # type: ignore[arg-type]
                        deployment=cache[deployment_id],
                        base_job_template={},
                    )
                )
    return ClaimResponse(runs=items, cancelling=cancelling, lost=lost)


@router.post("/deployments/claim", dependencies=[Depends(require(Perm.work))])
async def claim_served_runs(
    body: ServedClaimRequest, request: Request, ctx: ServerContext = Depends(context)
) -> ClaimResponse:
    """Claim due runs of served deployments (no pool); long-polls up to ``wait_seconds``."""
    deadline = time.monotonic() + min(body.wait_seconds, ctx.settings.server_max_claim_wait_seconds)
    first = True
    while True:
        if not first and await request.is_disconnected():
            return ClaimResponse(runs=[])
        first = False
        result = await anyio.to_thread.run_sync(_claim_once, ctx, body)
        remaining = deadline - time.monotonic()
        if result.runs or result.cancelling or result.lost or remaining <= 0:
            return result
        await ctx.notifier.wait(SERVED, min(remaining, 1.0))
