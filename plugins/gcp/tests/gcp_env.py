"""Shared test set-up for the gcp types: rendered configurations, flow runs, the local images."""

from __future__ import annotations

from typing import Any

from flowyard.job import BaseVariables, FlowRunInfo, base_job_template
from flowyard.testing.rendering import rendered_configuration, sample_flow_run
from flowyard_fakes import images

ROOT = images.checkout_root()
BASE_IMAGE = images.BASE_IMAGE
docker_or_skip = images.base_image_or_skip  # (the names the type's other tests import)
flowyard_image = images.flowyard_image_or_skip
ANONYMOUS = {"anonymous": True, "project": "proj-1"}


def flow_run(name: str = "brave-otter") -> FlowRunInfo:
    """A flow run as the worker describes it to the hooks."""
    return sample_flow_run("gcp", name)


def configuration(
    model: type[BaseVariables], run: FlowRunInfo | None = None, **variables: Any
) -> dict[str, Any]:
    """The rendered job configuration the worker would pass to ``render`` (with flowyard's env)."""
    return rendered_configuration(base_job_template(model), run or flow_run(), variables)
