"""Shared test set-up for the gcp types: rendered configurations, flow runs, the local images."""

from __future__ import annotations

from typing import Any

from flowyard.job import BaseVariables, FlowRunInfo, base_job_template
from flowyard.testing.rendering import rendered_configuration, sample_flow_run
from flowyard_fakes.images import BASE_IMAGE, checkout_root
from flowyard_fakes.images import base_image_or_skip as docker_or_skip
from flowyard_fakes.images import flowyard_image_or_skip as flowyard_image

__all__ = [
    "ANONYMOUS",
    "BASE_IMAGE",
    "ROOT",
    "configuration",
    "docker_or_skip",
    "flow_run",
    "flowyard_image",
]

ROOT = checkout_root()
ANONYMOUS = {"anonymous": True, "project": "proj-1"}


def flow_run(name: str = "brave-otter") -> FlowRunInfo:
    """A flow run as the worker describes it to the hooks."""
    return sample_flow_run("gcp", name)


def configuration(
    model: type[BaseVariables], run: FlowRunInfo | None = None, **variables: Any
) -> dict[str, Any]:
    """The rendered job configuration the worker would pass to ``render`` (with flowyard's env)."""
    return rendered_configuration(base_job_template(model), run or flow_run(), variables)
