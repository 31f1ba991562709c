"""Render the job configuration of one claimed run (pool template < deployment < flow run)."""

from __future__ import annotations

from typing import Any

from flowyard.job import FlowRunInfo
from flowyard.schemas.runs import ClaimedRun


def flow_run_info(
    claimed: ClaimedRun, worker_name: str, api_url: str, api_key: str | None
) -> FlowRunInfo:
    """What the worker type hooks are told about a claimed run.

    ``api_key`` is the run's own token from the claim when the server issued one (the worker's
    key never reaches the run), else the worker's key (an older server).
    """
    from flowyard.engine.handoff import encode

    run = claimed.flow_run
    return FlowRunInfo(
        id=run.id,
        name=run.name,
        flow_id=run.flow_id,
        flow_name=run.flow_name,
        deployment_id=run.deployment_id,
        deployment_name=run.deployment_name,
        work_pool_name=run.work_pool_name,
        work_queue_name=run.work_queue_name,
        worker_name=worker_name,
        claim_id=claimed.claim_id,
        parameters=run.parameters,
        api_url=api_url,
        api_key=claimed.run_token or api_key,
        engine_handoff=encode(claimed),
    )


def job_configuration(claimed: ClaimedRun, info: FlowRunInfo) -> dict[str, Any]:
    """Merged job variables applied to the pool's ``job_configuration``, plus flowyard's env and labels.

    The env tells the flowyard engine which run to execute and how to reach the API; labels
    record where the run came from. Both are added after templating, so no template can drop them.
    """
    from flowyard.templating import build_job_configuration, merge_job_variables

    template = claimed.base_job_template
    deployment = claimed.deployment.job_variables if claimed.deployment else {}
    values = merge_job_variables(template, deployment, claimed.flow_run.job_variables)
    configuration = build_job_configuration(template, values)
    env = configuration.get("env")
    env = dict(env) if isinstance(env, dict) else {}
    env.update(
        {
            "FLOWYARD_API_URL": info.api_url or "",
            "FLOWYARD_FLOW_RUN_ID": info.id,
            "FLOWYARD_CLAIM_ID": info.claim_id or "",
        }
    )
    if info.deployment_id:  # lets the engine read the deployment while it reads the run
        env["FLOWYARD_DEPLOYMENT_ID"] = info.deployment_id
    if info.api_key:
        env["FLOWYARD_API_KEY"] = info.api_key
    configuration["env"] = env
    labels = configuration.get("labels")
    labels = dict(labels) if isinstance(labels, dict) else {}
    labels.update(
        {
            "flowyard.flow-run-id": info.id,
            "flowyard.flow-name": info.flow_name or "",
            "flowyard.deployment-name": info.deployment_name or "",
            "flowyard.work-pool-name": info.work_pool_name or "",
            "flowyard.worker-name": info.worker_name or "",
        }
    )
    configuration["labels"] = labels
    return configuration
