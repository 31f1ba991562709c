"""Build (and optionally push) a deployment's image: a generated Dockerfile or the project's own."""

from __future__ import annotations

import io
import os
import sys
import tarfile
from pathlib import Path
from typing import Any

DEFAULT_BASE_IMAGE = "python:3.11-slim"
BASE_IMAGE_ENV = "FLOWYARD_DOCKER_BASE_IMAGE"
PROJECT_DIR = "/opt/flowyard/project"
SKIP = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "node_modules",
}


class ImageBuildError(Exception):
    """The build failed; the message carries the build's error and its last lines of output."""


def generated_dockerfile(base_image: str, flowyard_version: str) -> str:
    """The Dockerfile used when the deployment does not bring its own."""
    return "\n".join(
        [
            f"FROM {base_image}",
            f"WORKDIR {PROJECT_DIR}",
            f"COPY . {PROJECT_DIR}",
            "RUN if [ -f requirements.txt ]; then python -m pip install --no-cache-dir -r requirements.txt; fi",
            'RUN python -c "import flowyard" 2>/dev/null || '
            f'python -m pip install --no-cache-dir "flowyard=={flowyard_version}"',
            'CMD ["python", "-m", "flowyard.engine"]',
            "",
        ]
    )


def _context(project: Path, dockerfile_text: str | None) -> io.BytesIO:
    """A tar of the project (without VCS/venv/cache folders), plus the generated Dockerfile."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for root, dirs, names in os.walk(project):
            dirs[:] = sorted(d for d in dirs if d not in SKIP)
            for name in sorted(names):
                path = Path(root) / name
                tar.add(path, arcname=str(path.relative_to(project)), recursive=False)
        if dockerfile_text is not None:
            data = dockerfile_text.encode()
            info = tarfile.TarInfo("Dockerfile.flowyard")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _base_image_hint(docker_client: Any, base: str) -> str:
    """What to do when the generated Dockerfile's base image is not local (and may not be pullable)."""
    from docker.errors import DockerException

    try:
        docker_client.images.get(base)
    except DockerException:
        return (
            f"\nThe base image {base!r} is not on this machine and had to be pulled from its "
            f"registry. Without a registry, set {BASE_IMAGE_ENV} to a local image that has Python "
            "(and flowyard, or pip access to it), or pass "
            "DeploymentImage(name=..., base_image=...). From a flowyard checkout, "
            "scripts/build-python-base-image and scripts/build-flowyard-image build one locally."
        )
    return ""


def build(
    image: str,
    project: Path,
    *,
    dockerfile: str = "auto",
    base_image: str | None = None,
    push: bool = False,
    build_kwargs: dict[str, Any] | None = None,
) -> str:
    """Build ``image`` from ``project``; print progress; push when asked. Returns the image reference.

    ``dockerfile="auto"`` generates one (base image: ``base_image``, else ``FLOWYARD_DOCKER_BASE_IMAGE``,
    else python:3.11-slim); any other value is a Dockerfile path relative to ``project``.
    """
    from docker.errors import APIError
    from flowyard import __version__

    from flowyard_docker.container import client

    base = base_image or os.environ.get(BASE_IMAGE_ENV) or DEFAULT_BASE_IMAGE
    generated = generated_dockerfile(base, __version__) if dockerfile == "auto" else None
    if generated is None and not (project / dockerfile).is_file():
        raise ImageBuildError(f"dockerfile {dockerfile!r} not found in {str(project)!r}")
    docker_client = client()
    hint = _base_image_hint(docker_client, base) if generated is not None else ""
    tail: list[str] = []
    past_from = False  # a failure before step 2 is the base image's (FROM)
    try:
        stream = docker_client.api.build(
            fileobj=_context(project, generated),
            custom_context=True,
            dockerfile="Dockerfile.flowyard" if generated is not None else dockerfile,
            tag=image,
            rm=True,
            decode=True,
            **(build_kwargs or {}),
        )
        for event in stream:
            if "stream" in event:
                text = str(event["stream"])
                past_from = past_from or "Step 2/" in text
                sys.stdout.write(text)
                sys.stdout.flush()
                tail.extend(text.splitlines())
                del tail[:-20]
            if "error" in event:
                log = "\n".join(tail[-20:])
                raise ImageBuildError(
                    f"Building image {image!r} failed: {event['error'].strip()}\n{log}"
                    + ("" if past_from else hint)
                )
    except APIError as exc:
        raise ImageBuildError(
            f"Building image {image!r} failed: {exc.explanation or exc}{hint}"
        ) from exc
    if push:
        repository, _, tag = (
            image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
        )
        for event in docker_client.images.push(
            repository, tag=tag or "latest", stream=True, decode=True
        ):
            if "error" in event:
                raise ImageBuildError(f"Pushing image {image!r} failed: {event['error']}")
            if "status" in event:
                sys.stdout.write(f"{event['status']} {event.get('progress', '')}\n")
    return image
