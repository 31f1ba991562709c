"""Shared test set-up: the Kubernetes emulator, rendered configurations, the local base image."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from flowyard.job import FlowRunInfo, base_job_template
from flowyard.templating import build_job_configuration, merge_job_variables
from flowyard_kubernetes.variables import KubernetesVariables

ROOT = Path(__file__).resolve().parents[3]
BASE_IMAGE = "flowyard-python-base:bookworm"


def docker_or_skip() -> None:
    """Skip when FLOWYARD_SKIP_DOCKER is set; build the local base image (cached by tag)."""
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    subprocess.run(
        [str(ROOT / "scripts" / "build-python-base-image")], check=True, capture_output=True
    )


def flow_run(name: str = "brave-otter") -> FlowRunInfo:
    """A flow run as the worker describes it to the hooks."""
    return FlowRunInfo(
        id=str(uuid.uuid4()),
        name=name,
        flow_name="tutorial",
        deployment_name="dev",
        work_pool_name="k8s",
        worker_name="worker-1",
        claim_id=str(uuid.uuid4()),
        api_url="http://127.0.0.1:4200/api",
    )


def configuration(
    template: dict[str, Any] | None = None, run: FlowRunInfo | None = None, **variables: Any
) -> dict[str, Any]:
    """The rendered job configuration the worker would pass to ``render`` (with flowyard's env)."""
    template = template or base_job_template(KubernetesVariables)
    values = merge_job_variables(template, variables)
    config = build_job_configuration(template, values)
    run = run or flow_run()
    env = dict(config.get("env") or {})
    env.update({"FLOWYARD_API_URL": run.api_url or "", "FLOWYARD_FLOW_RUN_ID": run.id})
    config["env"] = env
    labels = dict(config.get("labels") or {})
    labels.update({"flowyard.flow-run-id": run.id, "flowyard.flow-name": run.flow_name or ""})
    config["labels"] = labels
    return config


def flowyard_image() -> str:
    """The tag of an image with this checkout's flowyard installed (built once per source hash)."""
    docker_or_skip()
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def host_network_template() -> dict[str, Any]:
    """The default template with ``hostNetwork: true`` (pods reach a loopback flowyard server)."""
    template = base_job_template(KubernetesVariables)
    template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"]["hostNetwork"] = True
    return template
