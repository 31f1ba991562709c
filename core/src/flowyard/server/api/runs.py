"""Flows, deployments, flow runs, states and logs."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Query, Request, Response

from flowyard import limits
from flowyard.schemas.common import StateType
from flowyard.schemas.runs import (
    Deployment,
    DeploymentCreate,
    DeploymentUpdate,
    Flow,
    FlowCreate,
    FlowRun,
    FlowRunBulkCreate,
    FlowRunBulkCreated,
    FlowRunCreate,
    FlowRunFilter,
    FlowRunUpdate,
    LocalFlowRunCreate,
    Log,
    LogCreate,
    LogLine,
    LogsStored,
    SetState,
    SetStateResult,
    State,
)
from flowyard.server import tables as t
from flowyard.server.api.deps import (
    Perm,
    check_run,
    context,
    refuse_worker_key,
    require,
    token_run_id,
    worker_pools,
)
from flowyard.server.errors import Forbidden
from flowyard.server.retry import RetryingRoute
from flowyard.server.services import deployments, runs, states
from flowyard.server.services.context import ServerContext

router = APIRouter(prefix="/api", route_class=RetryingRoute)
READ = Depends(require(Perm.read))
DEPLOY = Depends(require(Perm.deployments))
RUNS = Depends(require(Perm.runs))
WORK = Depends(require(Perm.work))


@router.post("/flows", dependencies=[DEPLOY], tags=["flows"])
def create_flow(body: FlowCreate, ctx: ServerContext = Depends(context)) -> Flow:
    """Create a flow, or return the existing one of that name."""
    with ctx.db.write() as conn:
        flow_id = deployments.ensure_flow(conn, body.name)
        row = conn.execute(sa.select(t.flow).where(t.flow.c.id == flow_id)).one()
    return Flow(id=row.id, name=row.name, created=row.created)


@router.post("/deployments", dependencies=[DEPLOY], tags=["deployments"])
def upsert_deployment(body: DeploymentCreate, ctx: ServerContext = Depends(context)) -> Deployment:
    """Create or update a deployment by flow name + name (job variables validated)."""
    with ctx.db.write() as conn:
        deployment_id = deployments.upsert_deployment(conn, body)
        return deployments.read_deployment(conn, deployment_id)


@router.get("/deployments", dependencies=[READ], tags=["deployments"])
def list_deployments(ctx: ServerContext = Depends(context)) -> list[Deployment]:
    """Every deployment."""
    with ctx.db.read() as conn:
        return deployments.list_deployments(conn)


@router.get("/deployments/name/{flow_name}/{name}", dependencies=[READ], tags=["deployments"])
def read_deployment_by_name(
    flow_name: str, name: str, ctx: ServerContext = Depends(context)
) -> Deployment:
    """A deployment by ``flow/deployment``."""
    with ctx.db.read() as conn:
        return deployments.find_deployment(conn, flow_name, name)


@router.get("/deployments/{deployment_id}", dependencies=[READ], tags=["deployments"])
def read_deployment(deployment_id: str, ctx: ServerContext = Depends(context)) -> Deployment:
    """A deployment by id."""
    with ctx.db.read() as conn:
        return deployments.read_deployment(conn, deployment_id)


@router.patch("/deployments/{deployment_id}", dependencies=[DEPLOY], tags=["deployments"])
def update_deployment(
    deployment_id: str, body: DeploymentUpdate, ctx: ServerContext = Depends(context)
) -> Deployment:
    """Pause/resume (pausing removes future scheduled runs) or change parameters/job variables."""
    with ctx.db.write() as conn:
        deployments.update_deployment(conn, deployment_id, body)
        return deployments.read_deployment(conn, deployment_id)


@router.delete(
    "/deployments/{deployment_id}", status_code=204, dependencies=[DEPLOY], tags=["deployments"]
)
def delete_deployment(deployment_id: str, ctx: ServerContext = Depends(context)) -> Response:
    """Delete a deployment and its not-yet-started runs."""
    with ctx.db.write() as conn:
        deployments.delete_deployment(conn, deployment_id)
    return Response(status_code=204)


@router.post(
    "/deployments/{deployment_id}/runs", status_code=201, dependencies=[RUNS], tags=["flow runs"]
)
def create_run(
    deployment_id: str, body: FlowRunCreate, ctx: ServerContext = Depends(context)
) -> FlowRun:
    """Create a run of a deployment (job variables merged and validated, required enforced)."""
    with ctx.db.write() as conn:
        run_id, pool_id = runs.create_from_deployment(conn, deployment_id, body)
        model = runs.read_run(conn, run_id)
    ctx.notifier.notify(pool_id or "served")
    return model


@router.post(
    "/deployments/{deployment_id}/runs/bulk",
    status_code=201,
    dependencies=[RUNS],
    tags=["flow runs"],
)
def create_runs(
    deployment_id: str, body: FlowRunBulkCreate, ctx: ServerContext = Depends(context)
) -> FlowRunBulkCreated:
    """Create up to 500 runs of a deployment in one transaction: all or none (each checked as one)."""
    with ctx.db.write() as conn:
        ids, pool_id = runs.create_many_from_deployment(conn, deployment_id, body.runs)
    ctx.notifier.notify(pool_id or "served")
    return FlowRunBulkCreated(ids=ids)


@router.post("/flow_runs", status_code=201, dependencies=[RUNS], tags=["flow runs"])
def create_local_run(body: LocalFlowRunCreate, ctx: ServerContext = Depends(context)) -> FlowRun:
    """Record a run of a flow called directly (starts RUNNING; no worker)."""
    with ctx.db.write() as conn:
        return runs.read_run(conn, runs.create_local(conn, body))


@router.post("/flow_runs/filter", dependencies=[READ], tags=["flow runs"])
def filter_runs(
    body: FlowRunFilter, request: Request, ctx: ServerContext = Depends(context)
) -> list[FlowRun]:
    """Runs matching a filter (for a pool-bound worker key: runs of its pools only)."""
    with ctx.db.read() as conn:
        found = runs.filter_runs(conn, body)
    pools = worker_pools(request)
    return found if pools is None else [r for r in found if r.work_pool_name in pools]


@router.get("/flow_runs/{run_id}", dependencies=[READ], tags=["flow runs"])
def read_run(run_id: str, request: Request, ctx: ServerContext = Depends(context)) -> FlowRun:
    """One run."""
    with ctx.db.read() as conn:
        check_run(request, conn, run_id)
        return runs.read_run(conn, run_id)


@router.get("/flow_runs/{run_id}/history", dependencies=[READ], tags=["flow runs"])
def run_history(
    run_id: str, request: Request, ctx: ServerContext = Depends(context)
) -> list[State]:
    """A run's state history, oldest first."""
    with ctx.db.read() as conn:
        check_run(request, conn, run_id)
        return runs.history(conn, run_id)


@router.post("/flow_runs/{run_id}/state", dependencies=[WORK], tags=["flow runs"])
def set_state(
    run_id: str, body: SetState, request: Request, ctx: ServerContext = Depends(context)
) -> SetStateResult:
    """Propose a state; the server's rules decide (see ``services/states.py``).

    A worker key may not ``force`` a state; a pool-bound one acts only on its pools' runs.
    """
    if body.force:
        refuse_worker_key(request, "force a state")
    with ctx.db.write() as conn:
        check_run(request, conn, run_id)
        done = states.transition(
            conn,
            run_id,
            body,
            lease_seconds=ctx.settings.server_claim_lease_seconds,
            running_lease_seconds=ctx.settings.server_running_lease_seconds,
        )
    done.wake(ctx.notifier)
    return done.result


@router.post("/flow_runs/{run_id}/cancel", dependencies=[RUNS], tags=["flow runs"])
def cancel_run(run_id: str, ctx: ServerContext = Depends(context)) -> SetStateResult:
    """Ask a run to cancel: SCHEDULED runs are cancelled at once, others go CANCELLING."""
    with ctx.db.write() as conn:
        done = states.transition(
            conn, run_id, SetState(type=StateType.CANCELLING, message="Cancelled by a user.")
        )
    done.wake(ctx.notifier)
    return done.result


@router.patch("/flow_runs/{run_id}", status_code=204, dependencies=[WORK], tags=["flow runs"])
def update_run(
    run_id: str, body: FlowRunUpdate, request: Request, ctx: ServerContext = Depends(context)
) -> Response:
    """Report the infrastructure id or add labels."""
    with ctx.db.write() as conn:
        check_run(request, conn, run_id)
        runs.update_run(conn, run_id, body)
    return Response(status_code=204)


@router.post("/logs", status_code=201, dependencies=[WORK], tags=["logs"])
def add_logs(
    request: Request,
    body: list[LogCreate] = Body(max_length=limits.LOG_BATCH_MAX),
    ctx: ServerContext = Depends(context),
) -> LogsStored:
    """Store log lines (a flow run's token: only lines of its own run)."""
    scoped = token_run_id(request)
    if scoped is not None and any(log.flow_run_id != scoped for log in body):
        raise Forbidden("A flow run's token may only write the logs of its own run.")
    with ctx.db.write() as conn:
        for run_id in {line.flow_run_id for line in body}:
            check_run(request, conn, run_id)
        return LogsStored(stored=runs.add_logs(conn, body))


@router.get("/flow_runs/{run_id}/logs", dependencies=[READ], tags=["logs"])
def read_logs(
    run_id: str,
    request: Request,
    after: int = Query(0, ge=0, le=2**63 - 1),
    limit: int = Query(1000, ge=1, le=10_000),
    ctx: ServerContext = Depends(context),
) -> list[LogLine]:
    """A run's logs after line id ``after`` (each item has ``id`` for paging).

    Not with a worker key: workers write logs, they never read them.
    """
    refuse_worker_key(request, "read logs")
    with ctx.db.read() as conn:
        check_run(request, conn, run_id)
        return [
            LogLine(id=i, **log.model_dump())
            for i, log in runs.read_logs(conn, run_id, after, limit)
        ]


__all__ = ["Log", "router"]
