"""``DeploymentImage``: the container image a deployment runs in, built at deploy time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = "/opt/flowyard/project"
"""Where flowyard's image builders put the project (used as the path when ``build=False``)."""


@dataclass
class DeploymentImage:
    """An image to build for a deployment.

    :param name: repository, e.g. ``my-flows`` or ``registry.example.com/team/flows``.
    :param tag: tag (default ``latest``); ``name`` may also carry it (``my-flows:1``).
    :param dockerfile: ``"auto"`` (generated: project + requirements.txt + flowyard) or a path to a
        Dockerfile relative to the project directory.
    :param base_image: base of the generated Dockerfile (default: the docker type's
        ``FLOWYARD_DOCKER_BASE_IMAGE`` setting, else ``python:3.11-slim``).
    :param build_kwargs: extra arguments for the builder (e.g. ``{"buildargs": {...}}``).
    """

    name: str
    tag: str | None = None
    dockerfile: str = "auto"
    base_image: str | None = None
    build_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """``name:tag``."""
        last = self.name.rsplit("/", 1)[-1]
        if ":" in last:
            return self.name
        return f"{self.name}:{self.tag or 'latest'}"


def build_for_deployment(
    image: str | DeploymentImage, project_dir: Path, pool_type: str, push: bool
) -> tuple[str, str]:
    """Build with the pool type's ``build_image`` hook (else docker's); returns (reference, path in image)."""
    from flowyard.errors import FlowyardError
    from flowyard.plugins import worker_types

    spec = image if isinstance(image, DeploymentImage) else DeploymentImage(name=image)
    types = worker_types()
    builder = None
    for candidate in (pool_type, "docker"):
        if candidate in types.installed():
            hooks = types.hooks(candidate)
            if hooks.implements("build_image"):
                builder = hooks
                break
    if builder is None:
        raise FlowyardError(
            "Building a deployment image needs a worker type that builds images; install "
            "flowyard-docker (from a flowyard checkout: `pip install -e plugins/docker`; it is not on "
            "PyPI)."
        )
    path = builder.build_image(
        image=spec.reference,
        project_dir=str(project_dir),
        dockerfile=spec.dockerfile,
        base_image=spec.base_image,
        push=push,
        build_kwargs=spec.build_kwargs,
    )
    return spec.reference, path
