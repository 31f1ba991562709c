"""Shared test set-up: the Kubernetes emulator, rendered configurations, the local base image."""

from __future__ import annotations

from typing import Any

from flowyard.job import FlowRunInfo, base_job_template
from flowyard.testing.rendering import rendered_configuration, sample_flow_run
from flowyard_fakes.images import BASE_IMAGE, checkout_root
from flowyard_fakes.images import base_image_or_skip as docker_or_skip
from flowyard_fakes.images import flowyard_image_or_skip as flowyard_image
from flowyard_kubernetes.variables import KubernetesVariables

__all__ = [
    "BASE_IMAGE",
    "ROOT",
    "configuration",
    "docker_or_skip",
    "flow_run",
    "flowyard_image",
    "host_network_template",
]

ROOT = checkout_root()


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
