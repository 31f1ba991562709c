"""Shared test set-up: the Kubernetes emulator, rendered configurations, the local base image."""

from __future__ import annotations

from typing import Any

from flowyard.job import FlowRunInfo, base_job_template
from flowyard.testing.rendering import rendered_configuration, sample_flow_run
from flowyard_fakes import images
from flowyard_kubernetes.variables import KubernetesVariables

ROOT = images.checkout_root()
BASE_IMAGE = images.BASE_IMAGE
docker_or_skip = images.base_image_or_skip  # (the names the type's other tests import)
flowyard_image = images.flowyard_image_or_skip


def flow_run(name: str = "brave-otter") -> FlowRunInfo:
    """A flow run as the worker describes it to the hooks."""
    return sample_flow_run("k8s", name)


def configuration(
    template: dict[str, Any] | None = None, run: FlowRunInfo | None = None, **variables: Any
) -> dict[str, Any]:
    """The rendered job configuration the worker would pass to ``render`` (with flowyard's env)."""
    template = template or base_job_template(KubernetesVariables)
    return rendered_configuration(template, run or flow_run(), variables)


def host_network_template() -> dict[str, Any]:
    """The default template with ``hostNetwork: true`` (pods reach a loopback flowyard server)."""
    template = base_job_template(KubernetesVariables)
    template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"]["hostNetwork"] = True
    return template
