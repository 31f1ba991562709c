"""The rendered ``cloud-run`` job: the v2 Job body completed for one flow run."""

from __future__ import annotations

import copy
from typing import Any

from flowyard.job import BaseJobConfiguration, FlowRunInfo
from pydantic import Field, field_validator

from flowyard_gcp.cloud_run_variables import CONTAINER_NAME, DEFAULT_IMAGE
from flowyard_gcp.common import ENGINE_COMMAND, env_list, gcp_labels
from flowyard_gcp.credentials import GcpCredentials

API_KEY_ENV = "FLOWYARD_API_KEY"


def _prune(value: Any) -> Any:
    """Drop ``None`` values (unset template variables) from nested mappings."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


class CloudRunJob(BaseJobConfiguration):
    """A rendered cloud-run job: where to create it, the Job body, and how to watch it."""

    project: str | None = None
    region: str = "us-central1"
    credentials: GcpCredentials | None = Field(default=None, repr=False)
    timeout: int = 600
    vpc_connector_name: str | None = None
    keep_job: bool = False
    job_ready_timeout_seconds: float = 120
    start_timeout_seconds: float = 600
    poll_interval_seconds: float = 2.0
    api_endpoint: str | None = None
    api_key_secret: str | None = None
    job_body: dict[str, Any] = Field(default_factory=dict)

    @field_validator("credentials", mode="before")
    @classmethod
    def _credentials_from_secret(cls, value: Any) -> Any:
        from flowyard_gcp.credentials import from_secret

        return from_secret(value)

    @field_validator("job_body")
    @classmethod
    def _has_containers(cls, value: dict[str, Any]) -> dict[str, Any]:
        containers = ((value.get("template") or {}).get("template") or {}).get("containers")
        if value and (not isinstance(containers, list) or not containers):
            raise ValueError(
                "job_body must list at least one container under template.template.containers"
            )
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _region_given(cls, value: Any) -> Any:
        if not value:
            raise ValueError("region is empty: set the 'region' variable, e.g. 'us-central1'")
        return value

    def body(self, flow_run: FlowRunInfo) -> dict[str, Any]:
        """The Job to create for ``flow_run`` (camelCase JSON, as the v2 API takes it).

        Adds labels (configured, then flowyard's, GCP-safe) on the Job and on its executions'
        template, flowyard's env (the API key from Secret Manager when ``api_key_secret`` is
        set) and the engine command to the first container, the default
        image, the task timeout and the VPC connector; drops unset (null) fields.
        """
        body: dict[str, Any] = _prune(copy.deepcopy(self.job_body)) or {}
        outer = body.setdefault("template", {})
        task = outer.setdefault("template", {})
        containers = task.setdefault("containers", [{"name": CONTAINER_NAME}])
        container = containers[0]
        container.setdefault("image", DEFAULT_IMAGE)
        if not container.get("image"):
            container["image"] = DEFAULT_IMAGE
        configured = {e["name"]: e for e in container.get("env", []) if isinstance(e, dict)}
        for entry in env_list(self.env):
            configured[entry["name"]] = entry
        for key, value in self.env.items():
            if value is None:
                configured.pop(key, None)
        if self.api_key_secret:
            secret, _, version = self.api_key_secret.partition(":")
            configured[API_KEY_ENV] = {
                "name": API_KEY_ENV,
                "valueSource": {"secretKeyRef": {"secret": secret, "version": version or "latest"}},
            }
        container["env"] = list(configured.values())
        container["args"] = self.command_argv() or list(ENGINE_COMMAND)
        task["timeout"] = f"{self.timeout}s"
        if self.vpc_connector_name:
            task["vpcAccess"] = {"connector": self.vpc_connector_name}
        labels = gcp_labels(body.get("labels") or {}, self.labels)
        body["labels"] = labels
        outer["labels"] = gcp_labels(outer.get("labels") or {}, labels)
        body.setdefault("launchStage", "GA")
        return body
