"""``POST /api/deployments/claim``: how ``flow.serve`` takes the runs of its own deployments."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from flowyard.schemas.runs import ClaimResponse, ServedClaimRequest
from flowyard.server.api.deps import Perm, context, require
from flowyard.server.api.longpoll import long_poll
from flowyard.server.retry import RetryingRoute
from flowyard.server.services import claim as claims
from flowyard.server.services.claimed import Claim, claimed_runs
from flowyard.server.services.context import ServerContext
from flowyard.server.services.deployments import get_deployment_row
from flowyard.server.services.serve_claim import claim_served, due_runs

router = APIRouter(prefix="/api", tags=["deployments"], route_class=RetryingRoute)
SERVED = "served"  # notifier key: something changed for pool-less (served) runs


def _claim_once(ctx: ServerContext, body: ServedClaimRequest) -> tuple[str, ClaimResponse]:
    lease = body.lease_seconds or ctx.settings.server_claim_lease_seconds
    with ctx.db.read() as conn:
        for deployment_id in body.deployment_ids:
            get_deployment_row(conn, deployment_id)  # 404 for an unknown deployment
        due = due_runs(conn, body.deployment_ids, body.limit)
    claimed: list[Claim] = []
    cancelling: list[str] = []
    lost: list[str] = []
    if due or body.held_run_ids:
        with ctx.db.write() as conn:
            if body.held_run_ids:
                cancelling, lost = claims.watch_held(
                    conn,
                    None,
                    body.worker_name,
                    body.held_run_ids,
                    lease,
                    ctx.settings.server_running_lease_seconds,
                )
            if due:
                claimed = claim_served(conn, due, body.worker_name, lease)
            # answered before the commit; a run that cannot be answered is set aside
            items = claimed_runs(conn, claimed, {})
        return SERVED, ClaimResponse(runs=items, cancelling=cancelling, lost=lost)
    return SERVED, ClaimResponse(runs=[], cancelling=cancelling, lost=lost)


@router.post("/deployments/claim", dependencies=[Depends(require(Perm.work))])
async def claim_served_runs(
    body: ServedClaimRequest, request: Request, ctx: ServerContext = Depends(context)
) -> ClaimResponse:
    """Claim due runs of served deployments (no pool); long-polls up to ``wait_seconds``."""
    return await long_poll(ctx, request, body.wait_seconds, lambda: _claim_once(ctx, body))
