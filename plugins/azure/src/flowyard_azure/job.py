"""The rendered azure-container-instance job: the container group body completed for one run."""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any

from flowyard.job import BaseJobConfiguration, FlowRunInfo
from pydantic import Field, field_validator, model_validator

from flowyard_azure.variables import (
    CONTAINER_NAME,
    DEFAULT_IMAGE,
    PUBLIC_CLOUD,
    ClientSecretCredentials,
    RegistryCredentials,
)

ENGINE_COMMAND = ["python", "-m", "flowyard.engine"]
WORKER_FALLBACKS = {
    "subscription_id": "AZURE_SUBSCRIPTION_ID",
    "resource_group_name": "AZURE_RESOURCE_GROUP",
    "arm_endpoint": "AZURE_RESOURCE_MANAGER_ENDPOINT",
}
SECRET_ENV = frozenset({"FLOWYARD_API_KEY"})
_NAME_CHARS = re.compile(r"[^a-z0-9-]+")
_TAG_KEY_CHARS = re.compile(r"[<>%&\\?/]+")
GROUP_NAME_MAX = 63


def group_name(prefix: str | None, flow_run_id: str) -> str:
    """A valid container group name: ``<slug of prefix, ≤26>-<flow run id>`` (≤63 characters,
    lowercase letters, digits and single hyphens, no hyphen at either end)."""
    slug = re.sub("-+", "-", _NAME_CHARS.sub("-", (prefix or "").lower())).strip("-")
    room = GROUP_NAME_MAX - len(flow_run_id) - 1
    slug = slug[:room].strip("-") or "flowyard"
    return f"{slug}-{flow_run_id.lower()}"[:GROUP_NAME_MAX].strip("-")


def _prune(value: Any) -> Any:
    """Drop keys whose value is None or an empty mapping (left by null placeholders)."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v is not None and v != {}}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


class AzureContainerInstanceJob(BaseJobConfiguration):
    """A rendered azure-container-instance job: where to create the group, its body, how to watch."""

    subscription_id: str
    resource_group_name: str
    location: str | None = None
    container_group: dict[str, Any] = Field(default_factory=dict)
    entrypoint: str | None = None
    image_registry: RegistryCredentials | None = None
    identities: list[str] | None = None
    stream_output: bool = False
    keep_container_group: bool = False
    task_start_timeout_seconds: int = Field(default=240, ge=1)
    task_watch_poll_interval: float = Field(default=5.0, gt=0)
    credentials: ClientSecretCredentials | None = Field(default=None, repr=False)
    arm_endpoint: str = PUBLIC_CLOUD

    @model_validator(mode="before")
    @classmethod
    def _where_given(cls, data: Any) -> Any:
        """Subscription, resource group and endpoint fall back to the worker's environment."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, variable in WORKER_FALLBACKS.items():
            value = data.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                value = os.environ.get(variable) or None
                if value is None and key != "arm_endpoint":
                    raise ValueError(
                        f"{key} is required: set it in the pool's base job template or as a "
                        f"job variable, or set {variable} in the worker's environment"
                    )
                data[key] = value
        return data

    @field_validator("credentials", mode="before")
    @classmethod
    def _credentials_from_secret(cls, value: Any) -> Any:
        """A resolved secret (kind azure) is JSON: tenant_id, client_id, client_secret."""
        if not isinstance(value, str):
            return value
        if value.startswith("flowyard-secret://"):
            raise ValueError(
                "credentials: the secret reference was not resolved; secrets are resolved by "
                "the server (push pools) or a worker whose pool's template names them"
            )
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError(
                "credentials: the secret does not hold JSON (tenant_id, client_id, client_secret)"
            ) from None

    @field_validator("arm_endpoint", mode="before")
    @classmethod
    def _endpoint(cls, value: Any) -> Any:
        if value is None or value == "":
            return PUBLIC_CLOUD
        if isinstance(value, str) and not value.startswith("https://"):
            raise ValueError(
                f"arm_endpoint {value!r} must be an https:// URL (Azure refuses bearer tokens "
                "over plain http)"
            )
        return value.rstrip("/") if isinstance(value, str) else value

    @field_validator("container_group")
    @classmethod
    def _has_a_container(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            return value
        containers = (value.get("properties") or {}).get("containers")
        if not isinstance(containers, list) or not containers:
            raise ValueError(
                "container_group.properties.containers must list at least one container; fix "
                "the pool's base job template"
            )
        return value

    def group_name(self, flow_run: FlowRunInfo) -> str:
        """The container group's name for ``flow_run``."""
        return group_name(self.name or flow_run.name, flow_run.id)

    def body(self, flow_run: FlowRunInfo, location: str) -> dict[str, Any]:
        """The container group to PUT for ``flow_run`` (registry passwords read from the worker's
        environment; flowyard's API key as a ``secureValue``, never returned by Azure).

        :raises ValueError: a registry password variable is not set on the worker.
        """
        group = copy.deepcopy(self.container_group) or {"properties": {}}
        group["location"] = group.get("location") or location
        tags = {**(group.get("tags") or {}), **self.labels}
        group["tags"] = {
            _TAG_KEY_CHARS.sub("-", str(k))[:512]: str(v)[:256] for k, v in tags.items()
        }
        props = group.setdefault("properties", {})
        props.setdefault("osType", "Linux")
        props.setdefault("restartPolicy", "Never")
        containers = props.setdefault("containers", [{"name": CONTAINER_NAME}])
        container = containers[0]
        container.setdefault("name", CONTAINER_NAME)
        cprops = container.setdefault("properties", {})
        if not cprops.get("image"):
            cprops["image"] = DEFAULT_IMAGE
        cprops["command"] = self._command(cprops.get("command"))
        cprops["environmentVariables"] = self._env(cprops.get("environmentVariables"))
        requests = cprops.setdefault("resources", {}).setdefault("requests", {})
        requests.setdefault("cpu", 1.0)
        requests.setdefault("memoryInGB", 1.0)
        gpu = requests.get("gpu")
        if isinstance(gpu, dict) and not gpu.get("count"):
            requests.pop("gpu")
        subnets = props.get("subnetIds")
        if subnets:
            props["subnetIds"] = [s if isinstance(s, dict) else {"id": str(s)} for s in subnets]
        if self.identities:
            group["identity"] = {
                "type": "UserAssigned",
                "userAssignedIdentities": {identity: {} for identity in self.identities},
            }
        if self.image_registry is not None:
            props["imageRegistryCredentials"] = [self._registry(self.image_registry)]
        return dict(_prune(group))

    def _command(self, template_command: Any) -> list[str]:
        if isinstance(template_command, str):
            argv = BaseJobConfiguration(command=template_command).command_argv()
        elif isinstance(template_command, list) and template_command:
            argv = [str(a) for a in template_command]
        else:
            argv = self.command_argv()
        argv = argv or list(ENGINE_COMMAND)
        if self.entrypoint:
            argv = (BaseJobConfiguration(command=self.entrypoint).command_argv() or []) + argv
        return argv

    def _env(self, template_env: Any) -> list[dict[str, str]]:
        env: dict[str, str | None] = {}
        if isinstance(template_env, list):
            for item in template_env:
                if isinstance(item, dict) and "name" in item:
                    env[str(item["name"])] = item.get("value", item.get("secureValue"))
        elif isinstance(template_env, dict):
            env.update({str(k): (None if v is None else str(v)) for k, v in template_env.items()})
        env.update(self.env)
        return [
            {"name": k, "secureValue": v} if k in SECRET_ENV else {"name": k, "value": v}
            for k, v in env.items()
            if v is not None
        ]

    @staticmethod
    def _registry(registry: RegistryCredentials) -> dict[str, str]:
        if registry.identity:
            return {"server": registry.server, "identity": registry.identity}
        entry = {"server": registry.server, "username": registry.username or ""}
        if registry.password_env:
            password = os.environ.get(registry.password_env)
            if password is None:
                raise ValueError(
                    f"image_registry.password_env names {registry.password_env!r}, which is not "
                    "set in the worker's environment; set it there (the password never goes in "
                    "the job configuration)"
                )
            entry["password"] = password
        return entry
