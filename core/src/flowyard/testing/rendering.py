"""What a worker hands its type's hooks, made by hand for unit tests of ``render`` and ``submit``:
a :class:`~flowyard.job.FlowRunInfo` and the job configuration rendered from a template, with the
environment and labels the worker adds for the run."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flowyard.job import FlowRunInfo
from flowyard.templating import build_job_configuration, merge_job_variables


def sample_flow_run(
    work_pool_name: str, name: str = "brave-otter", api_url: str = "http://127.0.0.1:4200/api"
) -> FlowRunInfo:
    """A run of the flow ``tutorial`` (deployment ``dev``) claimed by ``worker-1`` from
    ``work_pool_name``, with fresh ids."""
    return FlowRunInfo(
        id=str(uuid.uuid4()),
        name=name,
        flow_name="tutorial",
        deployment_name="dev",
        work_pool_name=work_pool_name,
        worker_name="worker-1",
        claim_id=str(uuid.uuid4()),
        api_url=api_url,
    )


def rendered_configuration(
    template: Mapping[str, Any],
    run: FlowRunInfo,
    variables: Mapping[str, Any],
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The job configuration ``template`` renders with ``variables`` (over its defaults), plus the
    env (``FLOWYARD_API_URL``, ``FLOWYARD_FLOW_RUN_ID``, then ``extra_env``) and the labels
    (``flowyard.flow-run-id``, ``flowyard.flow-name``) the worker adds for ``run``."""
    values = merge_job_variables(template, variables)
    config = build_job_configuration(template, values)
    env = dict(config.get("env") or {})
    env.update({"FLOWYARD_API_URL": run.api_url or "", "FLOWYARD_FLOW_RUN_ID": run.id})
    env.update(extra_env or {})
    config["env"] = env
    labels = dict(config.get("labels") or {})
    labels.update({"flowyard.flow-run-id": run.id, "flowyard.flow-name": run.flow_name or ""})
    config["labels"] = labels
    return config
