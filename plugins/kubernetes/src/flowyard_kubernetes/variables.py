"""The kubernetes worker type's job variables and its Job manifest template."""

from __future__ import annotations

from typing import Any, Literal

from flowyard.job import BaseVariables
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_IMAGE = "flowyard-python:3.11"
CONTAINER_NAME = "flowyard-job"


class ClusterConfig(BaseModel):
    """Which cluster to talk to when the worker does not run inside it.

    Also reads the shape of Prefect's ``KubernetesClusterConfig`` block (``config`` +
    ``context_name``).
    """

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    context: str | None = Field(
        default=None,
        title="Context",
        description="kubeconfig context to use; defaults to the kubeconfig's current context.",
        validation_alias="context_name",
    )
    config_file: str | None = Field(
        default=None,
        title="Kubeconfig File",
        description="Path of the kubeconfig; defaults to $KUBECONFIG, then ~/.kube/config.",
    )
    config: dict[str, Any] | None = Field(
        default=None,
        title="Kubeconfig",
        description="An inline kubeconfig (as a mapping) instead of a file.",
    )


class KubernetesVariables(BaseVariables):
    """What a pool, deployment or flow run may set for a flow run's Kubernetes Job."""

    name: str | None = Field(
        default=None,
        title="Name",
        description="Prefix of the Job's name (the API server appends 5 characters); "
        "defaults to the flow run's name.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        title="Labels",
        description="Labels on the Job and its pod; merged per key (flowyard.io/* labels are added).",
    )
    command: str | None = Field(
        default=None,
        title="Command",
        description="The container's args; defaults to the flowyard engine "
        "(`python -m flowyard.engine`). The image's ENTRYPOINT still runs.",
    )
    namespace: str = Field(
        default="default", title="Namespace", description="Namespace to create the Job in."
    )
    image: str = Field(
        default=DEFAULT_IMAGE,
        title="Image",
        description="Image to run the flow run in (with flowyard installed), e.g. the one "
        "`flow.deploy(image=...)` built and pushed.",
    )
    image_pull_policy: Literal["IfNotPresent", "Always", "Never"] = Field(
        default="IfNotPresent",
        title="Image Pull Policy",
        description="When the kubelet pulls the image.",
    )
    service_account_name: str | None = Field(
        default=None,
        title="Service Account Name",
        description="Service account the pod runs as; defaults to the namespace's `default`.",
    )
    backoff_limit: int = Field(
        default=0,
        ge=0,
        title="Backoff Limit",
        description="How many times Kubernetes retries a failed pod before the Job fails.",
    )
    finished_job_ttl: int | None = Field(
        default=None,
        ge=0,
        title="Finished Job TTL",
        description="Seconds after which a finished Job (and its pod) is deleted; "
        "null keeps it until deleted.",
    )
    cpu_request: str | None = Field(
        default=None, title="CPU Request", description="e.g. '500m' or '1'."
    )
    cpu_limit: str | None = Field(default=None, title="CPU Limit", description="e.g. '2'.")
    memory_request: str | None = Field(
        default=None, title="Memory Request", description="e.g. '512Mi'."
    )
    memory_limit: str | None = Field(
        default=None,
        title="Memory Limit",
        description="e.g. '1Gi'; a pod exceeding it is OOMKilled and the run ends CRASHED.",
    )
    stream_output: bool = Field(
        default=True,
        title="Stream Output",
        description="Copy the pod's log to the worker's output while it runs.",
    )
    pod_watch_timeout_seconds: int | None = Field(
        default=300,
        ge=1,
        title="Pod Start Deadline (seconds)",
        description="How long the pod may take to start (scheduling, image pull). When it has "
        "not started by then, the Job is deleted and the run ends CRASHED with the reason "
        "(e.g. an image that cannot be pulled). Null waits forever.",
    )
    job_watch_timeout_seconds: int | None = Field(
        default=None,
        ge=1,
        title="Job Watch Timeout (seconds)",
        description="Stop watching a running Job after this long (the run keeps going and "
        "reports its own final state). Null watches until it ends.",
    )
    cluster_config: ClusterConfig | None = Field(
        default=None,
        title="Cluster Config",
        description="kubeconfig file, inline kubeconfig and/or context. Null: the in-cluster "
        "service account inside a pod, else $KUBECONFIG or ~/.kube/config.",
    )
    api_key_secret_name: str | None = Field(
        default=None,
        title="API Key Secret Name",
        description="Name of a Secret in the Job's namespace holding the flowyard API key; the "
        "pod then reads FLOWYARD_API_KEY from it and the key never appears in the manifest.",
    )
    api_key_secret_key: str = Field(
        default="value",
        title="API Key Secret Key",
        description="Key inside that Secret.",
    )

    @classmethod
    def job_configuration(cls) -> dict[str, Any]:
        """A full ``batch/v1`` Job manifest with placeholders, plus the worker's own settings."""
        return {
            "command": "{{ command }}",
            "env": "{{ env }}",
            "labels": "{{ labels }}",
            "name": "{{ name }}",
            "namespace": "{{ namespace }}",
            "job_manifest": {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "generateName": "{{ name }}-",
                    "labels": "{{ labels }}",
                    "namespace": "{{ namespace }}",
                },
                "spec": {
                    "backoffLimit": "{{ backoff_limit }}",
                    "ttlSecondsAfterFinished": "{{ finished_job_ttl }}",
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "serviceAccountName": "{{ service_account_name }}",
                            "containers": [
                                {
                                    "name": CONTAINER_NAME,
                                    "image": "{{ image }}",
                                    "imagePullPolicy": "{{ image_pull_policy }}",
                                    "args": "{{ command }}",
                                    "env": "{{ env }}",
                                    "resources": {
                                        "requests": {
                                            "cpu": "{{ cpu_request }}",
                                            "memory": "{{ memory_request }}",
                                        },
                                        "limits": {
                                            "cpu": "{{ cpu_limit }}",
                                            "memory": "{{ memory_limit }}",
                                        },
                                    },
                                }
                            ],
                        }
                    },
                },
            },
            "cluster_config": "{{ cluster_config }}",
            "stream_output": "{{ stream_output }}",
            "pod_watch_timeout_seconds": "{{ pod_watch_timeout_seconds }}",
            "job_watch_timeout_seconds": "{{ job_watch_timeout_seconds }}",
            "api_key_secret_name": "{{ api_key_secret_name }}",
            "api_key_secret_key": "{{ api_key_secret_key }}",
        }
