"""Build the flow run's task definition and reuse a registered revision whenever one matches.

Registering a revision per run is the churn the system we compete with suffers from ("Too many
concurrent attempts to create a new revision"): here a definition is registered only when none of
the family's recent ACTIVE revisions equals it field by field (after filling in the defaults AWS
adds), and concurrent runs of one family in a worker wait for each other instead of racing.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowyard.job import FlowRunInfo

from flowyard_aws.job import DEFAULT_CONTAINER, EcsJob

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

log = logging.getLogger("flowyard.worker.ecs")

DEFAULT_CPU = 1024
DEFAULT_MEMORY = 2048
RECENT_REVISIONS = 10
TASK_KEYS = (
    "family",
    "containerDefinitions",
    "cpu",
    "memory",
    "networkMode",
    "requiresCompatibilities",
    "executionRoleArn",
    "taskRoleArn",
    "volumes",
    "placementConstraints",
    "runtimePlatform",
    "ephemeralStorage",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
)
_FAMILY = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ResolvedDefinition:
    """The task definition a run uses: its ARN, whether this run registered it, its shape."""

    arn: str
    registered: bool
    definition: dict[str, Any]
    container_name: str


def default_family(flow_run: FlowRunInfo) -> str:
    """``flowyard_<pool>_<deployment id or flow id>``, restricted to the characters ECS accepts."""
    owner = flow_run.deployment_id or flow_run.flow_id or flow_run.id
    raw = f"flowyard_{flow_run.work_pool_name or 'pool'}_{owner}"
    return _FAMILY.sub("-", raw)[:255]


def _drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v not in (None, "", [], {})}


def container_name(job: EcsJob, containers: list[dict[str, Any]]) -> str:
    """The flow-run container's name: ``container_name``, else ``flowyard``, else the first one."""
    if job.container_name:
        return job.container_name
    names = [str(c["name"]) for c in containers if c.get("name")]
    if DEFAULT_CONTAINER in names or not names:
        return DEFAULT_CONTAINER
    return names[0]


def build(job: EcsJob, flow_run: FlowRunInfo, region_name: str) -> dict[str, Any]:
    """The task definition to register for this job (RegisterTaskDefinition's arguments)."""
    definition = _drop_empty(copy.deepcopy(job.task_definition))
    containers = [_drop_empty(c) for c in definition.get("containerDefinitions", []) if c]
    name = container_name(job, containers)
    flow_container = next((c for c in containers if c.get("name") == name), None)
    if flow_container is None:
        unnamed = next((c for c in containers if not c.get("name")), None)
        flow_container = unnamed if unnamed is not None else {}
        if unnamed is None:
            containers.insert(0, flow_container)
    flow_container["name"] = name
    definition["family"] = _FAMILY.sub("-", str(definition.get("family") or "")) or default_family(
        flow_run
    )
    fargate = job.uses_fargate()
    if fargate:
        definition["requiresCompatibilities"] = sorted(
            {*definition.get("requiresCompatibilities", []), "FARGATE"}
        )
        definition.setdefault("networkMode", "awsvpc")
        definition["cpu"] = str(definition.get("cpu") or DEFAULT_CPU)
        definition["memory"] = str(definition.get("memory") or DEFAULT_MEMORY)
    else:
        for key in ("cpu", "memory"):
            if key in definition:
                definition[key] = str(definition[key])
    if "memory" not in flow_container and "memoryReservation" not in flow_container:
        flow_container["memory"] = int(definition.get("memory") or DEFAULT_MEMORY)
    if job.configure_cloudwatch_logs:
        flow_container["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {
                "awslogs-create-group": "true",
                "awslogs-group": "flowyard",
                "awslogs-region": region_name,
                "awslogs-stream-prefix": job.cloudwatch_logs_prefix or "flowyard",
                **job.cloudwatch_logs_options,
            },
        }
    definition["containerDefinitions"] = containers
    return definition


def _normal_container(container: dict[str, Any]) -> dict[str, Any]:
    normal = _drop_empty(container)
    normal.setdefault("essential", True)
    if normal.get("cpu") == 0:
        del normal["cpu"]
    for key in ("environment", "secrets"):
        if key in normal:
            normal[key] = sorted(normal[key], key=lambda item: str(item.get("name")))
    return normal


def normalise(definition: dict[str, Any]) -> dict[str, Any]:
    """The fields that decide what runs, with AWS's defaults filled in (for comparison)."""
    normal = _drop_empty({k: definition.get(k) for k in TASK_KEYS})
    normal.setdefault("networkMode", "bridge")
    for key in ("cpu", "memory"):
        if key in normal:
            normal[key] = str(normal[key])
    if "requiresCompatibilities" in normal:
        normal["requiresCompatibilities"] = sorted(normal["requiresCompatibilities"])
    normal["containerDefinitions"] = sorted(
        (_normal_container(c) for c in normal.get("containerDefinitions", [])),
        key=lambda c: str(c.get("name")),
    )
    return normal


def fingerprint(definition: dict[str, Any]) -> str:
    """A stable text of :func:`normalise` (equal definitions, equal fingerprints)."""
    return json.dumps(normalise(definition), sort_keys=True, default=str)


_family_locks: dict[str, threading.Lock] = {}
_known: dict[tuple[int, str], str] = {}
_guard = threading.Lock()


def _family_lock(family: str) -> threading.Lock:
    with _guard:
        return _family_locks.setdefault(family, threading.Lock())


def _describe(ecs: ECSClient, ref: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return dict(ecs.describe_task_definition(taskDefinition=ref)["taskDefinition"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in (
            "ClientException",
            "InvalidParameterException",
        ):
            return None
        raise


def _candidates(ecs: ECSClient, family: str, latest_only: bool) -> list[str]:
    if latest_only:
        return [family]
    arns = ecs.list_task_definitions(
        familyPrefix=family, status="ACTIVE", sort="DESC", maxResults=RECENT_REVISIONS
    )["taskDefinitionArns"]
    return [arn for arn in arns if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]


def find_or_register(ecs: ECSClient, wanted: dict[str, Any], latest_only: bool) -> tuple[str, bool]:
    """The ARN of an ACTIVE revision equal to ``wanted`` (registering one only if none is).

    :returns: ``(arn, registered_now)``.
    """
    family = str(wanted["family"])
    print_ = fingerprint(wanted)
    with _family_lock(family):
        cached = None if latest_only else _known.get((id(ecs), print_))
        refs = ([cached] if cached else []) + _candidates(ecs, family, latest_only)
        for ref in refs:
            described = _describe(ecs, ref)
            if described is None or described.get("status") != "ACTIVE":
                continue
            if fingerprint(described) == print_:
                arn = str(described["taskDefinitionArn"])
                _known[(id(ecs), print_)] = arn
                return arn, False
        arn = _register(ecs, wanted)
        _known[(id(ecs), print_)] = arn
        log.info("Registered task definition %s", arn)
        return arn, True


def _register(ecs: ECSClient, wanted: dict[str, Any]) -> str:
    from botocore.exceptions import ClientError

    for attempt in range(3):
        try:
            registered = ecs.register_task_definition(**wanted)
            return str(registered["taskDefinition"]["taskDefinitionArn"])
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if "Too many concurrent attempts" not in message or attempt == 2:
                raise
            time.sleep(1 + attempt * 2)
    raise AssertionError("unreachable")


def resolve(
    ecs: ECSClient, job: EcsJob, flow_run: FlowRunInfo, region_name: str
) -> ResolvedDefinition:
    """The definition to run: ``task_definition_arn`` as given, else a matching or new revision."""
    given = job.task_run_request.get("taskDefinition")
    if given:
        described = _describe(ecs, str(given))
        if described is None:
            raise ValueError(
                f"task_definition_arn: task definition {given!r} does not exist in {region_name}."
            )
        containers = list(described.get("containerDefinitions", []))
        return ResolvedDefinition(
            arn=str(described["taskDefinitionArn"]),
            registered=False,
            definition=described,
            container_name=container_name(job, containers),
        )
    wanted = build(job, flow_run, region_name)
    arn, registered = find_or_register(ecs, wanted, job.match_latest_revision_in_family)
    name = container_name(job, list(wanted["containerDefinitions"]))
    return ResolvedDefinition(
        arn=arn, registered=registered, definition=wanted, container_name=name
    )


def deregister(ecs: ECSClient, arn: str) -> None:
    """Deregister a revision (after its run, with ``auto_deregister_task_definition``)."""
    from botocore.exceptions import ClientError

    try:
        ecs.deregister_task_definition(taskDefinition=arn)
    except ClientError as exc:
        log.warning("Could not deregister task definition %s: %s", arn, exc)
    with _guard:
        for key in [k for k, v in _known.items() if v == arn]:
            del _known[key]
