"""What a claim hands to a worker: each claimed run with its deployment and job template."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from flowyard.schemas.common import StateType
from flowyard.schemas.runs import ClaimedRun, Deployment
from flowyard.server import tables as t
from flowyard.server.services import runs
from flowyard.server.services.deployments import deployment_model, get_deployment_row

Claim = tuple[str, str, dt.datetime]
"""(run id, claim id, lease expiry)."""


def record_pending(conn: sa.Connection, run_ids: list[str], message: str, now: dt.datetime) -> None:
    """Append the PENDING entry of each newly claimed run to its state history."""
    if run_ids:
        conn.execute(
            t.flow_run_state.insert(),
            [
                {
                    "flow_run_id": run_id,
                    "type": StateType.PENDING.value,
                    "name": "Pending",
                    "message": message,
                    "timestamp": now,
                }
                for run_id in run_ids
            ],
        )


def claimed_runs(
    conn: sa.Connection, claims: list[Claim], base_job_template: dict[str, Any]
) -> list[ClaimedRun]:
    """The response items for ``claims`` (deployments read once each)."""
    if not claims:
        return []
    by_id = {r.id: r for r in runs.read_runs(conn, [c[0] for c in claims])}
    cache: dict[str, Deployment] = {}
    items = []
    for run_id, claim_id, lease_expires in claims:
        run = by_id[run_id]
        deployment = None
        if run.deployment_id:
            if run.deployment_id not in cache:
                cache[run.deployment_id] = deployment_model(
                    conn, get_deployment_row(conn, run.deployment_id)
                )
            deployment = cache[run.deployment_id]
        items.append(
            ClaimedRun(
                flow_run=run,
                claim_id=claim_id,
                lease_expires=lease_expires,
                deployment=deployment,
                base_job_template=base_job_template,
            )
        )
    return items
