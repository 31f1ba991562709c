"""The ``ecs`` type's rendered job: a task definition, a RunTask request and how to watch the task."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flowyard.job import BaseJobConfiguration
from pydantic import Field, field_validator

from flowyard_aws.credentials import AwsCredentials

ENGINE_COMMAND = ["python", "-m", "flowyard.engine"]
DEFAULT_CONTAINER = "flowyard"
ID_SEPARATOR = "::"
_TAG_CHARS = re.compile(r"[^A-Za-z0-9 _./=+:@-]")


class EcsJob(BaseJobConfiguration):
    """A rendered ``ecs`` job (see :class:`flowyard_aws.variables.EcsVariables` for each field)."""

    aws_credentials: str | None = None
    credentials: AwsCredentials | None = Field(default=None, repr=False)
    """Resolved from a secret (JSON) by whoever submits; never stored or logged."""
    region_name: str | None = None
    cluster: str | None = None
    vpc_id: str | None = None
    network_configuration: dict[str, Any] | None = None
    container_name: str | None = None
    configure_cloudwatch_logs: bool = False
    cloudwatch_logs_options: dict[str, str] = Field(default_factory=dict)
    cloudwatch_logs_prefix: str | None = None
    stream_output: bool = False
    match_latest_revision_in_family: bool = False
    task_start_timeout_seconds: float = Field(default=300, ge=1)
    task_watch_poll_interval: float = Field(default=5.0, ge=0.1)
    auto_deregister_task_definition: bool = False
    task_definition: dict[str, Any] = Field(default_factory=dict)
    task_run_request: dict[str, Any] = Field(default_factory=dict)

    @field_validator("credentials", mode="before")
    @classmethod
    def _credentials_from_secret(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith("flowyard-secret://"):
                raise ValueError(
                    "credentials: the secret reference was not resolved; secrets are resolved by "
                    "the server (push pools) or a worker whose pool's template names them"
                )
            try:
                return json.loads(value) if value.strip() else None
            except ValueError:
                raise ValueError(
                    "credentials: the secret does not hold JSON (access_key_id, "
                    "secret_access_key, ...)"
                ) from None
        return value

    @field_validator("network_configuration", mode="before")
    @classmethod
    def _empty_network_is_none(cls, value: Any) -> Any:
        return value or None

    def check_runnable(self) -> None:
        """Refuse, before any AWS call, a job ECS cannot run (errors name the variable to set).

        Checked at submit rather than render, so a pool's defaults (no image yet) still render.
        """
        if not self.task_run_request.get("taskDefinition"):
            containers = [c for c in self.task_definition.get("containerDefinitions", []) if c]
            if not any(c.get("image") for c in containers):
                raise ValueError(
                    "image: no image for the flow-run container; set the image job variable "
                    "(flow.deploy(image=...) does) or give task_definition_arn."
                )
        if self.cloudwatch_logs_options and not self.configure_cloudwatch_logs:
            raise ValueError(
                "cloudwatch_logs_options: set configure_cloudwatch_logs to true to use them."
            )
        if (
            self.configure_cloudwatch_logs
            and not self.task_definition.get("executionRoleArn")
            and not self.task_run_request.get("taskDefinition")
        ):
            raise ValueError(
                "configure_cloudwatch_logs: CloudWatch logs need execution_role_arn "
                "(a role ECS uses to create the log stream)."
            )

    def launch_type(self) -> str | None:
        """The requested launch type (``FARGATE`` when the request names none)."""
        value = self.task_run_request.get("launchType")
        return str(value) if value else None

    def uses_fargate(self) -> bool:
        """Whether the task runs on Fargate (launch type or capacity provider strategy)."""
        strategy = self.task_run_request.get("capacityProviderStrategy") or []
        if strategy:
            return any(str(s.get("capacityProvider", "")).startswith("FARGATE") for s in strategy)
        return (self.launch_type() or "FARGATE").startswith("FARGATE")

    def argv(self) -> list[str]:
        """The flow-run container's command (default: the flowyard engine)."""
        return self.command_argv() or list(ENGINE_COMMAND)

    def environment(self) -> list[dict[str, str]]:
        """``env`` as ECS ``[{name, value}]`` pairs; ``None`` values (unset) are dropped."""
        return [
            {"name": key, "value": value}
            for key, value in sorted(self.env.items())
            if value is not None
        ]

    def tags(self, default_name: str) -> list[dict[str, str]]:
        """``labels`` (and ``Name``) as ECS tags, with characters ECS refuses replaced by ``_``."""
        labels = {"Name": self.name or default_name, **self.labels}
        return [
            {"key": _TAG_CHARS.sub("_", key)[:128], "value": _TAG_CHARS.sub("_", value)[:256]}
            for key, value in labels.items()
            if key
        ]


@dataclass(frozen=True)
class EcsHandle:
    """What ``submit`` hands ``observe`` in-process: where the task is and what was registered."""

    cluster: str
    task_arn: str
    task_definition_arn: str
    registered: bool
    container_name: str
    log_stream: tuple[str, str] | None
    """(group, stream) of the flow-run container's CloudWatch logs, when configured."""


def infrastructure_id(cluster: str, task_arn: str) -> str:
    """``<cluster>::<task ARN>`` (``::`` because ARNs contain ``:``)."""
    return f"{cluster}{ID_SEPARATOR}{task_arn}"


def parse_infrastructure_id(value: str) -> tuple[str, str] | None:
    """``(cluster, task ARN)`` from an id made by :func:`infrastructure_id`, None if malformed."""
    cluster, sep, task_arn = value.partition(ID_SEPARATOR)
    if not sep or not cluster or not task_arn:
        return None
    return cluster, task_arn
