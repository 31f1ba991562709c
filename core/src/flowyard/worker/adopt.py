"""Adoption: the runs a restarted worker had submitted, found again so it observes them to the end.

A worker that dies mid-run (killed, its node drained, an upgrade) leaves runs PENDING or RUNNING
whose infrastructure goes on. The server keeps, on each run, the name of the worker whose claim
holds it and the infrastructure id that worker reported. When a worker of the **same name**
starts, :func:`held_runs` lists those runs (still PENDING, RUNNING or CANCELLING, with an
infrastructure id) and rebuilds what the claim had handed out (:class:`ClaimedRun`: the run, its
claim id, its deployment, the pool's template), so the runtime renders the job exactly as at
submission and asks the type's ``reattach`` hook for the infrastructure.

Never adopted: a run whose lease expired or that was handed back (the server cleared its worker
name, or another worker claimed it since), a run with no infrastructure id (the old worker died
before submitting it; its lease expires and it is claimed again), a run in a final state.
:func:`still_held` re-checks this just before re-attaching, after a heartbeat renewed the lease.
Workers with other names never see each other's runs, so several workers start safely side by
side; two live workers sharing one name is a misconfiguration this cannot detect.
"""

from __future__ import annotations

import logging

from flowyard.client.errors import DeploymentNotFound
from flowyard.schemas.common import StateType, utcnow
from flowyard.schemas.runs import ClaimedRun, Deployment, FlowRun, FlowRunFilter
from flowyard.worker.api import WorkerApi

log = logging.getLogger("flowyard.worker")

ADOPTABLE_STATES = (StateType.PENDING, StateType.RUNNING, StateType.CANCELLING)
"""States of a run whose infrastructure may still be going."""

PAGE = 500


async def _runs_of(client: WorkerApi, pool: str, worker_name: str) -> list[FlowRun]:
    """Every run of ``pool`` held by ``worker_name`` in an adoptable state (paged)."""
    found: list[FlowRun] = []
    while True:
        page = await client.list_flow_runs(
            FlowRunFilter(
                work_pool_name=pool,
                worker_name=worker_name,
                state_types=list(ADOPTABLE_STATES),
                limit=PAGE,
                offset=len(found),
            )
        )
        found.extend(page)
        if len(page) < PAGE:
            return found


async def run_deployment(
    client: WorkerApi, run: FlowRun, cache: dict[str, Deployment | None]
) -> Deployment | None:
    """The run's deployment, read once per id into ``cache`` (None when it has none or it was
    deleted since: its job is then rendered without the deployment's job variables)."""
    if run.deployment_id is None:
        return None
    if run.deployment_id not in cache:
        try:
            cache[run.deployment_id] = await client.read_deployment(run.deployment_id)
        except DeploymentNotFound:
            log.warning(
                "The deployment of flow run %s was deleted; its job is rendered without the "
                "deployment's job variables.",
                run.id,
            )
            cache[run.deployment_id] = None
    return cache[run.deployment_id]


def adoptable(run: FlowRun, worker_name: str) -> bool:
    """Whether ``run`` is still held by ``worker_name`` under a claim, with infrastructure to find."""
    return (
        run.worker_name == worker_name
        and run.claim_id is not None
        and run.infrastructure_id is not None
        and run.state_type in ADOPTABLE_STATES
    )


async def held_runs(client: WorkerApi, pool: str, worker_name: str) -> list[ClaimedRun]:
    """The runs of ``pool`` that the worker named ``worker_name`` submitted and still holds.

    Each comes as the claim had handed it out: the run, its claim id, its deployment and the
    pool's current base job template (the lease expiry is not known; it is set to now, and the
    worker renews it with its next heartbeat).
    """
    runs = [r for r in await _runs_of(client, pool, worker_name) if adoptable(r, worker_name)]
    if not runs:
        return []
    template = (await client.read_pool(pool)).base_job_template
    deployments: dict[str, Deployment | None] = {}
    claimed = []
    for run in runs:
        claimed.append(
            ClaimedRun(
                flow_run=run,
                claim_id=run.claim_id or "",  # adoptable(): never None here
                lease_expires=utcnow(),
                deployment=await run_deployment(client, run, deployments),
                base_job_template=template,
            )
        )
    return claimed


async def still_held(client: WorkerApi, claimed: ClaimedRun, worker_name: str) -> FlowRun | None:
    """The run as it is now if this worker still holds it under the same claim, else None.

    Called after the worker's heartbeat renewed the leases: a run whose lease expired before
    that, or that reached a final state, is not adopted.
    """
    run = await client.read_flow_run(claimed.flow_run.id)
    if adoptable(run, worker_name) and run.claim_id == claimed.claim_id:
        return run
    return None
