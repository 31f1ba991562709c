"""The rendered ``vertex-ai`` job: the CustomJob completed for one flow run."""

from __future__ import annotations

import copy
from typing import Any

from flowyard.job import BaseJobConfiguration, FlowRunInfo
from pydantic import Field, field_validator

from flowyard_gcp.cloud_run_job import _prune
from flowyard_gcp.cloud_run_variables import DEFAULT_IMAGE
from flowyard_gcp.common import ENGINE_COMMAND, env_list, gcp_labels, resource_id
from flowyard_gcp.credentials import GcpCredentials


class VertexJob(BaseJobConfiguration):
    """A rendered vertex-ai job: where to create it, the job spec, and how to watch it."""

    project: str | None = None
    region: str = "us-central1"
    credentials: GcpCredentials | None = None
    maximum_run_time_hours: float = 1
    scheduling_strategy: str | None = None
    max_wait_duration_seconds: int | None = None
    start_timeout_seconds: float = 1800
    keep_job: bool = False
    poll_interval_seconds: float = 5.0
    api_endpoint: str | None = None
    job_spec: dict[str, Any] = Field(default_factory=dict)

    @field_validator("job_spec")
    @classmethod
    def _has_a_pool(cls, value: dict[str, Any]) -> dict[str, Any]:
        pools = value.get("workerPoolSpecs")
        if value and (not isinstance(pools, list) or not pools):
            raise ValueError("job_spec must list at least one worker pool under workerPoolSpecs")
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _region_given(cls, value: Any) -> Any:
        if not value:
            raise ValueError("region is empty: set the 'region' variable, e.g. 'us-central1'")
        return value

    def endpoint(self) -> str:
        """The API endpoint: the configured one, else the region's."""
        return self.api_endpoint or f"{self.region}-aiplatform.googleapis.com"

    def custom_job(self, flow_run: FlowRunInfo) -> dict[str, Any]:
        """The CustomJob to create for ``flow_run`` (camelCase JSON, as the v1 API takes it)."""
        spec: dict[str, Any] = _prune(copy.deepcopy(self.job_spec)) or {}
        pools = spec.setdefault("workerPoolSpecs", [{"replicaCount": 1}])
        pool = pools[0]
        container = pool.setdefault("containerSpec", {})
        if not container.get("imageUri"):
            container["imageUri"] = DEFAULT_IMAGE
        container["args"] = self.command_argv() or list(ENGINE_COMMAND)
        configured = {e["name"]: e for e in container.get("env", []) if isinstance(e, dict)}
        for entry in env_list(self.env):
            configured[entry["name"]] = entry
        for key, value in self.env.items():
            if value is None:
                configured.pop(key, None)
        container["env"] = list(configured.values())
        machine = pool.setdefault("machineSpec", {})
        if not machine.get("acceleratorType"):
            machine.pop("acceleratorType", None)
            machine.pop("acceleratorCount", None)
        scheduling = spec.setdefault("scheduling", {})
        scheduling["timeout"] = f"{int(self.maximum_run_time_hours * 3600)}s"
        if self.scheduling_strategy:
            scheduling["strategy"] = self.scheduling_strategy
        if self.max_wait_duration_seconds is not None:
            scheduling["maxWaitDuration"] = f"{self.max_wait_duration_seconds}s"
        return {
            "displayName": resource_id(self.name or flow_run.name, limit=100),
            "jobSpec": spec,
            "labels": gcp_labels(self.labels),
        }
