"""Submit one flow run: task definition, network, RunTask; the id is ``cluster::task-arn``."""

from __future__ import annotations

import copy
import logging
import random
import time
from typing import Any

from flowyard.job import FlowRunInfo, Submission

from flowyard_aws import taskdef
from flowyard_aws.credentials import AwsCredentials, EcsClients, clients
from flowyard_aws.job import EcsHandle, EcsJob, infrastructure_id
from flowyard_aws.network import awsvpc_configuration

log = logging.getLogger("flowyard.worker.ecs")

RETRIED_ERRORS = ("ThrottlingException", "ServerException", "LimitExceededException")


def job_clients(job: EcsJob) -> EcsClients:
    """Clients for the job's credentials: a resolved secret, else named ones read from the
    worker's environment, else boto3's default chain."""
    if job.credentials is not None:
        return clients(job.credentials, job.region_name)
    return clients(AwsCredentials.named(job.aws_credentials), job.region_name)


def started_by(flow_run: FlowRunInfo) -> str:
    """The task's ``startedBy``, named from the flow run (≤ 36 characters): how ``lookup``
    finds a task an earlier submit of this run started."""
    return "fy-" + flow_run.id.replace("-", "")[:32]


def run_request(
    job: EcsJob, definition: taskdef.ResolvedDefinition, flow_run: FlowRunInfo
) -> dict[str, Any]:
    """RunTask's arguments (without the network): overrides carry the command, env and tags."""
    request = {
        k: v for k, v in copy.deepcopy(job.task_run_request).items() if v not in (None, "", [], {})
    }
    request["taskDefinition"] = definition.arn
    request["cluster"] = request.get("cluster") or job.cluster or "default"
    strategy = request.get("capacityProviderStrategy")
    if strategy:
        request.pop("launchType", None)
    elif request.get("launchType") == "FARGATE_SPOT":
        request.pop("launchType")
        request["capacityProviderStrategy"] = [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    elif "launchType" not in request and "EC2" not in definition.definition.get(
        "requiresCompatibilities", []
    ):
        request["launchType"] = "FARGATE"
    overrides = dict(request.get("overrides") or {})
    entries = [dict(o) for o in overrides.get("containerOverrides") or [] if o]
    mine = next((o for o in entries if o.get("name") in (None, definition.container_name)), None)
    if mine is None:
        mine = {}
        entries.insert(0, mine)
    mine["name"] = definition.container_name
    mine["command"] = job.argv()
    mine["environment"] = job.environment()
    overrides["containerOverrides"] = [
        {k: v for k, v in o.items() if v not in (None, [], "")} for o in entries
    ]
    for key in ("cpu", "memory"):
        if key in overrides:
            overrides[key] = str(overrides[key])
    request["overrides"] = {k: v for k, v in overrides.items() if v not in (None, [], "", {})}
    request["tags"] = job.tags(flow_run.name)
    request["startedBy"] = started_by(flow_run)
    return request


def _run_task(clients_: EcsClients, request: dict[str, Any]) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    for attempt in range(3):
        try:
            answer = clients_.ecs.run_task(**request)
            break
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code == "ClusterNotFoundException":
                raise ValueError(
                    f"cluster: ECS cluster {request['cluster']!r} does not exist in "
                    f"{clients_.region_name}; create it or set the cluster job variable."
                ) from None
            if code not in RETRIED_ERRORS or attempt == 2:
                raise RuntimeError(f"RunTask failed: {error.get('Message') or exc}") from None
            time.sleep(1 + random.uniform(0, 2))
    failures = answer.get("failures") or []
    if failures:
        first = failures[0]
        raise RuntimeError(
            f"ECS could not run the task: {first.get('reason')}"
            + (f" ({first['detail']})" if first.get("detail") else "")
        )
    tasks = answer.get("tasks") or []
    if not tasks:
        raise RuntimeError("ECS accepted RunTask but returned no task.")
    return dict(tasks[0])


def _log_stream(definition: taskdef.ResolvedDefinition, task_arn: str) -> tuple[str, str] | None:
    for container in definition.definition.get("containerDefinitions", []):
        if container.get("name") != definition.container_name:
            continue
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
            return None
        prefix = options.get("awslogs-stream-prefix")
        task_id = task_arn.rsplit("/", 1)[-1]
        stream = f"{prefix}/{definition.container_name}/{task_id}" if prefix else task_id
        return str(options["awslogs-group"]), stream
    return None


def submit(job: EcsJob, flow_run: FlowRunInfo) -> Submission[EcsHandle]:
    """Resolve the task definition, pick the network, run the task."""
    job.check_runnable()
    aws = job_clients(job)
    definition = taskdef.resolve(aws.ecs, job, flow_run, aws.region_name)
    request = run_request(job, definition, flow_run)
    if (
        definition.definition.get("networkMode") == "awsvpc"
        and "networkConfiguration" not in request
    ):
        request["networkConfiguration"] = {
            "awsvpcConfiguration": awsvpc_configuration(aws.ec2, job)
        }
    task = _run_task(aws, request)
    task_arn = str(task["taskArn"])
    cluster = str(request["cluster"])
    log.info("Started ECS task %s on cluster %s (%s)", task_arn, cluster, definition.arn)
    return _submission(cluster, task_arn, definition)


def _submission(
    cluster: str, task_arn: str, definition: taskdef.ResolvedDefinition
) -> Submission[EcsHandle]:
    handle = EcsHandle(
        cluster=cluster,
        task_arn=task_arn,
        task_definition_arn=definition.arn,
        registered=definition.registered,
        container_name=definition.container_name,
        log_stream=_log_stream(definition, task_arn),
    )
    return Submission[EcsHandle](
        infrastructure_id=infrastructure_id(cluster, task_arn),
        handle=handle,
        details={
            "task_definition_arn": definition.arn,
            "task_definition_registered": definition.registered,
        },
    )


def lookup(job: EcsJob, flow_run: FlowRunInfo) -> Submission[EcsHandle] | None:
    """A task of this flow run that is not stopped (found by its ``startedBy``), else None."""
    aws = job_clients(job)
    cluster = str(job.task_run_request.get("cluster") or job.cluster or "default")
    try:
        arns = aws.ecs.list_tasks(cluster=cluster, startedBy=started_by(flow_run))["taskArns"]
    except aws.ecs.exceptions.ClusterNotFoundException:
        return None
    if not arns:
        return None
    described = aws.ecs.describe_tasks(cluster=cluster, tasks=list(arns))["tasks"]
    live = [t for t in described if t.get("lastStatus") != "STOPPED"]
    if not live:
        return None
    task = live[0]
    arn = str(task["taskArn"])
    container = job.container_name or "flowyard"
    handle = EcsHandle(
        cluster=cluster,
        task_arn=arn,
        task_definition_arn=str(task.get("taskDefinitionArn", "")),
        registered=False,
        container_name=container,
        log_stream=None,
    )
    return Submission[EcsHandle](infrastructure_id=infrastructure_id(cluster, arn), handle=handle)
