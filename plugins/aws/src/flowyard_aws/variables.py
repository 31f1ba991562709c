"""The ``ecs`` type's job variables and the job configuration they are templated into."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from flowyard.job import BaseVariables
from pydantic import BaseModel, ConfigDict, Field


class LaunchType(StrEnum):
    """Where ECS runs the task. ``FARGATE_SPOT`` becomes a capacity provider strategy."""

    FARGATE = "FARGATE"
    FARGATE_SPOT = "FARGATE_SPOT"
    EC2 = "EC2"
    EXTERNAL = "EXTERNAL"


class CapacityProvider(BaseModel):
    """One entry of a capacity provider strategy (AWS field names)."""

    model_config = ConfigDict(extra="forbid")

    capacityProvider: str = Field(title="Capacity Provider", description="e.g. FARGATE_SPOT.")
    weight: int = Field(default=1, ge=0, le=1000, title="Weight")
    base: int = Field(default=0, ge=0, le=100000, title="Base")


class NetworkConfiguration(BaseModel):
    """The task's ``awsvpcConfiguration`` (AWS field names)."""

    model_config = ConfigDict(extra="forbid")

    subnets: list[str] = Field(
        default_factory=list,
        title="Subnets",
        description="Subnet ids; empty: every subnet of vpc_id (or of the default VPC).",
    )
    securityGroups: list[str] = Field(
        default_factory=list, title="Security Groups", description="Security group ids."
    )
    assignPublicIp: Literal["ENABLED", "DISABLED"] = Field(
        default="ENABLED",
        title="Assign Public IP",
        description="ENABLED lets a task in a public subnet pull its image without a NAT gateway.",
    )


class EcsVariables(BaseVariables):
    """Variables of an ``ecs`` work pool; see the plugin README for the IAM permissions each needs."""

    aws_credentials: str | None = Field(
        default=None,
        title="AWS Credentials",
        description="Name of credentials held in the worker's environment "
        "(FLOWYARD_AWS_<NAME>_ACCESS_KEY_ID, _SECRET_ACCESS_KEY, _SESSION_TOKEN, _REGION, "
        "_ROLE_ARN, _ENDPOINT_URL, _PROFILE). Empty: boto3's default chain (environment, "
        "profile, instance or task role). Secrets never go into the job configuration.",
        pattern=r"^[A-Za-z0-9_-]+$",
    )
    credentials: str | None = Field(
        default=None,
        title="Credentials (secret)",
        description="A secret of kind aws from the server's store, as `{{ secret('<name>') }}` "
        "in the pool's base job template: JSON with access_key_id, secret_access_key and "
        "optionally session_token, region_name, role_arn, endpoint_url. Resolved in memory by "
        "whoever submits (the server for ecs:push pools); wins over aws_credentials. Null: "
        "aws_credentials, else boto3's default chain.",
        examples=['{"role_arn": "arn:aws:iam::123456789012:role/flowyard-push"}'],
    )
    region_name: str | None = Field(
        default=None,
        title="Region",
        description="AWS region, e.g. eu-west-1; empty: the credentials' or boto3's default.",
    )
    image: str | None = Field(
        default=None,
        title="Image",
        description="Container image of the flow run, e.g. an ECR image "
        "(`flow.deploy(image=...)` sets it). Ignored when task_definition_arn is given.",
    )
    cluster: str | None = Field(
        default=None,
        title="Cluster",
        description="ECS cluster name or ARN; empty: the cluster named 'default'.",
    )
    launch_type: LaunchType = Field(
        default=LaunchType.FARGATE,
        title="Launch Type",
        description="FARGATE, FARGATE_SPOT (a FARGATE_SPOT capacity provider strategy), EC2 "
        "or EXTERNAL. Ignored when capacity_provider_strategy is set.",
    )
    capacity_provider_strategy: list[CapacityProvider] = Field(
        default_factory=list,
        title="Capacity Provider Strategy",
        description="Capacity providers to place the task with; replaces launch_type.",
    )
    cpu: int | None = Field(
        default=None,
        ge=128,
        le=16384,
        title="CPU",
        description="CPU units (1024 = 1 vCPU); empty: 1024 on Fargate.",
    )
    memory: int | None = Field(
        default=None,
        ge=128,
        le=122880,
        title="Memory (MiB)",
        description="Memory in MiB; empty: 2048. Also the flow-run container's hard limit.",
    )
    family: str | None = Field(
        default=None,
        title="Task Definition Family",
        description="Family of the registered task definition; empty: "
        "flowyard_<pool>_<deployment id>.",
    )
    task_definition_arn: str | None = Field(
        default=None,
        title="Task Definition ARN",
        description="Run this existing task definition instead of registering one; image, "
        "cpu, memory, family, roles and log settings then come from it.",
    )
    execution_role_arn: str | None = Field(
        default=None,
        title="Execution Role ARN",
        description="Role ECS uses to pull the image and write logs (needed for CloudWatch logs "
        "and private ECR images).",
    )
    task_role_arn: str | None = Field(
        default=None,
        title="Task Role ARN",
        description="Role the flow run's code runs as.",
    )
    vpc_id: str | None = Field(
        default=None,
        title="VPC ID",
        description="VPC whose subnets the task uses when network_configuration gives none; "
        "empty: the region's default VPC.",
    )
    network_configuration: NetworkConfiguration | None = Field(
        default=None,
        title="Network Configuration",
        description="awsvpc subnets, security groups and public IP of the task (Fargate and "
        "awsvpc tasks); empty: every subnet of vpc_id or of the default VPC.",
    )
    container_name: str | None = Field(
        default=None,
        title="Container Name",
        description="Name of the container that runs the flow; empty: 'flowyard' (or the "
        "first container of task_definition_arn).",
    )
    configure_cloudwatch_logs: bool = Field(
        default=False,
        title="Configure CloudWatch Logs",
        description="Send the container's output to CloudWatch Logs (awslogs driver); needs "
        "execution_role_arn.",
    )
    cloudwatch_logs_options: dict[str, str] = Field(
        default_factory=dict,
        title="CloudWatch Logs Options",
        description="Extra awslogs options, e.g. {'awslogs-group': 'my-flows'}.",
    )
    cloudwatch_logs_prefix: str | None = Field(
        default=None,
        title="CloudWatch Logs Stream Prefix",
        description="awslogs-stream-prefix; empty: flowyard.",
    )
    stream_output: bool = Field(
        default=False,
        title="Stream Output",
        description="Copy the task's CloudWatch log events to the worker's output while it runs "
        "(needs CloudWatch logs).",
    )
    match_latest_revision_in_family: bool = Field(
        default=False,
        title="Match Latest Revision Only",
        description="Reuse a registered task definition only if it is the family's latest "
        "revision; otherwise any of the 10 newest active revisions that matches is reused.",
    )
    task_start_timeout_seconds: float = Field(
        default=300,
        ge=1,
        title="Task Start Timeout (s)",
        description="A task not RUNNING after this long is stopped and the run CRASHED.",
    )
    task_watch_poll_interval: float = Field(
        default=5.0,
        ge=0.1,
        le=300,
        title="Task Watch Poll Interval (s)",
        description="Seconds between DescribeTasks calls while the task runs.",
    )
    auto_deregister_task_definition: bool = Field(
        default=False,
        title="Auto-deregister Task Definition",
        description="Deregister a task definition this run registered once the task stopped.",
    )

    @classmethod
    def job_configuration(cls) -> dict[str, Any]:
        """A task definition and a RunTask request with placeholders, plus the worker's settings.

        ``env`` and ``command`` go into the run request's container override at submit time
        (after the worker has added flowyard's own variables); ``labels`` become task tags.
        """
        settings = {
            name: "{{ " + name + " }}"
            for name in (
                "name",
                "env",
                "labels",
                "command",
                "aws_credentials",
                "credentials",
                "region_name",
                "cluster",
                "vpc_id",
                "network_configuration",
                "container_name",
                "configure_cloudwatch_logs",
                "cloudwatch_logs_options",
                "cloudwatch_logs_prefix",
                "stream_output",
                "match_latest_revision_in_family",
                "task_start_timeout_seconds",
                "task_watch_poll_interval",
                "auto_deregister_task_definition",
            )
        }
        return {
            **settings,
            "task_definition": {
                "family": "{{ family }}",
                "containerDefinitions": [{"name": "{{ container_name }}", "image": "{{ image }}"}],
                "cpu": "{{ cpu }}",
                "memory": "{{ memory }}",
                "executionRoleArn": "{{ execution_role_arn }}",
                "taskRoleArn": "{{ task_role_arn }}",
            },
            "task_run_request": {
                "cluster": "{{ cluster }}",
                "launchType": "{{ launch_type }}",
                "capacityProviderStrategy": "{{ capacity_provider_strategy }}",
                "taskDefinition": "{{ task_definition_arn }}",
                "overrides": {
                    "containerOverrides": [{"name": "{{ container_name }}"}],
                    "taskRoleArn": "{{ task_role_arn }}",
                },
            },
        }
