"""The ``cloud-run`` type's job variables and its job-body template (Cloud Run Admin API v2)."""

from __future__ import annotations

from typing import Any, Literal

from flowyard.job import BaseVariables
from pydantic import Field

from flowyard_gcp.credentials import GcpCredentials

DEFAULT_IMAGE = "flowyard-python:3.11"
CONTAINER_NAME = "flowyard-job"


class CloudRunVariables(BaseVariables):
    """What a pool, deployment or flow run may set for a flow run's Cloud Run job."""

    name: str | None = Field(
        default=None,
        title="Name",
        description="Prefix of the job id (7 hex characters derived from the flow run's id are "
        "appended, so a run always gets the same id); defaults to the flow run's name.",
    )
    command: str | None = Field(
        default=None,
        title="Command",
        description="The container's args; defaults to the flowyard engine "
        "(`python -m flowyard.engine`). The image's ENTRYPOINT still runs.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        title="Labels",
        description="Labels on the job and its executions, made GCP-safe (lowercase, dots and "
        "slashes become '-'); flowyard's own are added as flowyard-*.",
    )
    image: str = Field(
        default=DEFAULT_IMAGE,
        title="Image",
        description="Image to run the flow run in (with flowyard installed), e.g. "
        "'us-docker.pkg.dev/p/repo/flows:1'.",
    )
    project: str | None = Field(
        default=None,
        title="Project",
        description="Project id; defaults to the credentials' project.",
    )
    region: str = Field(
        default="us-central1", title="Region", description="Region to run the job in."
    )
    credentials: GcpCredentials | None = Field(
        default=None,
        title="Credentials",
        description="Null: application default credentials. Else a service-account key "
        "referenced by a path or an environment variable name on the worker. For a push pool "
        "(or a worker), the pool's template may set the whole value to a secret of kind gcp, "
        "`{{ secret('<name>') }}`: a service-account JSON key, resolved in memory at submit.",
    )
    cpu: str = Field(
        default="1000m",
        pattern=r"^\d+(\.\d+)?m?$",
        title="CPU",
        description="CPU limit of the container, e.g. '1000m' or '2'.",
    )
    memory: str = Field(
        default="512Mi",
        pattern=r"^\d+(G|Gi|M|Mi)$",
        title="Memory",
        description="Memory limit of the container, e.g. '512Mi' or '2Gi'.",
    )
    timeout: int = Field(
        default=600,
        ge=1,
        le=604800,
        title="Task Timeout (seconds)",
        description="How long a task may run before Cloud Run stops it (enforced by Cloud Run).",
    )
    max_retries: int = Field(
        default=0, ge=0, le=10, title="Max Retries", description="Retries of a failed task."
    )
    vpc_connector_name: str | None = Field(
        default=None,
        title="VPC Connector Name",
        description="Serverless VPC Access connector, e.g. 'projects/p/locations/r/connectors/c'.",
    )
    service_account_name: str | None = Field(
        default=None,
        title="Service Account Name",
        description="Service account the job runs as; null: the project's default compute one.",
    )
    launch_stage: Literal["ALPHA", "BETA", "GA"] = Field(
        default="GA",
        title="Launch Stage",
        description="Launch stage of the features the job uses.",
    )
    keep_job: bool = Field(
        default=False,
        title="Keep Job",
        description="Keep the job and its executions after the flow run ends (else deleted).",
    )
    job_ready_timeout_seconds: int = Field(
        default=120,
        ge=1,
        title="Job Ready Timeout (seconds)",
        description="How long a new job may take to become Ready (e.g. the image being "
        "resolved); after that it is deleted and the run ends CRASHED.",
    )
    start_timeout_seconds: int = Field(
        default=600,
        ge=1,
        title="Execution Start Timeout (seconds)",
        description="How long an execution may stay without a started task before it is "
        "cancelled and the run ends CRASHED.",
    )
    poll_interval_seconds: float = Field(
        default=2.0,
        gt=0,
        title="Poll Interval (seconds)",
        description="How often the worker reads the execution while it runs.",
    )
    api_key_secret: str | None = Field(
        default=None,
        title="API Key Secret",
        description="Secret Manager secret holding the flowyard API key, as 'name' or "
        "'name:version' (default version 'latest'); the job then reads FLOWYARD_API_KEY from it "
        "and the key never appears in the job definition.",
    )
    api_endpoint: str | None = Field(
        default=None,
        title="API Endpoint",
        description="Cloud Run API endpoint; null: run.googleapis.com (set it for Private "
        "Service Connect or a local emulator).",
    )

    @classmethod
    def job_configuration(cls) -> dict[str, Any]:
        """The worker's settings plus ``job_body``, the v2 Job with placeholders."""
        passthrough = [
            "name",
            "command",
            "env",
            "labels",
            "project",
            "region",
            "credentials",
            "timeout",
            "vpc_connector_name",
            "keep_job",
            "job_ready_timeout_seconds",
            "start_timeout_seconds",
            "poll_interval_seconds",
            "api_endpoint",
            "api_key_secret",
        ]
        config: dict[str, Any] = {key: "{{ " + key + " }}" for key in passthrough}
        config["job_body"] = {
            "launchStage": "{{ launch_stage }}",
            "template": {
                "template": {
                    "serviceAccount": "{{ service_account_name }}",
                    "maxRetries": "{{ max_retries }}",
                    "containers": [
                        {
                            "name": CONTAINER_NAME,
                            "image": "{{ image }}",
                            "resources": {"limits": {"cpu": "{{ cpu }}", "memory": "{{ memory }}"}},
                        }
                    ],
                }
            },
        }
        return config
