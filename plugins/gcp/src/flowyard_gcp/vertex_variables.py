"""The ``vertex-ai`` type's job variables and its job-spec template (Vertex AI custom jobs)."""

from __future__ import annotations

from typing import Any, Literal

from flowyard.job import BaseVariables
from pydantic import Field

from flowyard_gcp.cloud_run_variables import DEFAULT_IMAGE
from flowyard_gcp.credentials import GcpCredentials


class VertexVariables(BaseVariables):
    """What a pool, deployment or flow run may set for a flow run's Vertex AI custom job."""

    name: str | None = Field(
        default=None,
        title="Name",
        description="Prefix of the job's display name (7 random hex characters are appended); "
        "defaults to the flow run's name.",
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
        description="Labels on the custom job, made GCP-safe; flowyard's own are added as "
        "flowyard-*.",
    )
    image: str = Field(
        default=DEFAULT_IMAGE,
        title="Image",
        description="Image to run the flow run in (with flowyard installed).",
    )
    project: str | None = Field(
        default=None, title="Project", description="Project id; defaults to the credentials'."
    )
    region: str = Field(
        default="us-central1",
        title="Region",
        description="Region; also picks the endpoint {region}-aiplatform.googleapis.com.",
    )
    credentials: GcpCredentials | None = Field(
        default=None,
        title="Credentials",
        description="Null: application default credentials. Else a service-account key "
        "referenced by a path or an environment variable name on the worker.",
    )
    machine_type: str = Field(
        default="n1-standard-4", title="Machine Type", description="Machine type of the replica."
    )
    accelerator_type: str | None = Field(
        default=None,
        title="Accelerator Type",
        description="e.g. 'NVIDIA_TESLA_T4'; null: no accelerator.",
    )
    accelerator_count: int | None = Field(
        default=None, ge=0, title="Accelerator Count", description="Accelerators per replica."
    )
    boot_disk_type: Literal["pd-ssd", "pd-standard"] = Field(
        default="pd-ssd", title="Boot Disk Type", description="Boot disk type."
    )
    boot_disk_size_gb: int = Field(
        default=100, ge=10, le=65536, title="Boot Disk Size (GB)", description="Boot disk size."
    )
    maximum_run_time_hours: float = Field(
        default=1,
        gt=0,
        le=168,
        title="Maximum Run Time (hours)",
        description="Vertex stops the job after this long (scheduling.timeout).",
    )
    network: str | None = Field(
        default=None,
        title="Network",
        description="Peered VPC network, e.g. 'projects/123/global/networks/vpc'.",
    )
    reserved_ip_ranges: list[str] | None = Field(
        default=None,
        title="Reserved IP Ranges",
        description="Names of reserved IP ranges under the network to use.",
    )
    service_account_name: str | None = Field(
        default=None,
        title="Service Account Name",
        description="Service account the job runs as; null: Vertex's default one.",
    )
    scheduling_strategy: Literal["STANDARD", "SPOT", "FLEX_START"] | None = Field(
        default=None,
        title="Scheduling Strategy",
        description="How Vertex obtains the machines; null: Vertex's default (on demand).",
    )
    max_wait_duration_seconds: int | None = Field(
        default=None,
        ge=0,
        title="Max Wait Duration (seconds)",
        description="With FLEX_START: how long to wait for resources.",
    )
    start_timeout_seconds: int = Field(
        default=1800,
        ge=1,
        title="Start Timeout (seconds)",
        description="How long the job may stay queued or pending before it is cancelled and "
        "the run ends CRASHED.",
    )
    keep_job: bool = Field(
        default=False,
        title="Keep Job",
        description="Keep the custom job after the flow run ends (else deleted).",
    )
    poll_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        title="Poll Interval (seconds)",
        description="How often the worker reads the job while it runs.",
    )
    api_endpoint: str | None = Field(
        default=None,
        title="API Endpoint",
        description="Vertex AI endpoint; null: {region}-aiplatform.googleapis.com.",
    )

    @classmethod
    def job_configuration(cls) -> dict[str, Any]:
        """The worker's settings plus ``job_spec``, the CustomJobSpec with placeholders."""
        passthrough = [
            "name",
            "command",
            "env",
            "labels",
            "project",
            "region",
            "credentials",
            "maximum_run_time_hours",
            "scheduling_strategy",
            "max_wait_duration_seconds",
            "start_timeout_seconds",
            "keep_job",
            "poll_interval_seconds",
            "api_endpoint",
        ]
        config: dict[str, Any] = {key: "{{ " + key + " }}" for key in passthrough}
        config["job_spec"] = {
            "serviceAccount": "{{ service_account_name }}",
            "network": "{{ network }}",
            "reservedIpRanges": "{{ reserved_ip_ranges }}",
            "workerPoolSpecs": [
                {
                    "replicaCount": 1,
                    "containerSpec": {"imageUri": "{{ image }}"},
                    "machineSpec": {
                        "machineType": "{{ machine_type }}",
                        "acceleratorType": "{{ accelerator_type }}",
                        "acceleratorCount": "{{ accelerator_count }}",
                    },
                    "diskSpec": {
                        "bootDiskType": "{{ boot_disk_type }}",
                        "bootDiskSizeGb": "{{ boot_disk_size_gb }}",
                    },
                }
            ],
        }
        return config
