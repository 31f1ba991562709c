"""Container names on the real engine: run names are not unique, so a second run whose name is
already taken by a container still starts (its container's name gets the run id's first 8
characters) instead of crashing on Docker's 409 Conflict."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from docker_env import engine_or_skip
from flowyard.job import FlowRunInfo
from flowyard.plugins import TypeHooks, WorkerTypes
from flowyard.templating import build_job_configuration, merge_job_variables
from flowyard_docker.job import DockerJob

pytestmark = pytest.mark.docker
BASE_IMAGE = "flowyard-python-base:bookworm"


@pytest.fixture
def hooks() -> TypeHooks:
    engine_or_skip()
    return WorkerTypes().hooks("docker")


@pytest.fixture
def shared_name() -> Iterator[str]:
    import docker
    from docker.errors import NotFound

    name = f"same-name-{uuid.uuid4().hex[:6]}"
    yield name
    engine = docker.from_env()
    for container in engine.containers.list(all=True, filters={"name": name}):
        with contextlib.suppress(NotFound):
            container.remove(force=True)


def _job(hooks: TypeHooks, run: FlowRunInfo) -> DockerJob:
    import docker
    from docker.errors import ImageNotFound

    try:
        docker.from_env().images.get(BASE_IMAGE)
    except ImageNotFound:
        pytest.skip(f"{BASE_IMAGE} is not built (scripts/build-python-base-image)")
    template = hooks.default_base_job_template()
    variables = {"image": BASE_IMAGE, "image_pull_policy": "Never", "command": "sh -c 'exit 0'"}
    rendered = hooks.render(
        build_job_configuration(template, merge_job_variables(template, variables)), run
    )
    assert isinstance(rendered, DockerJob)
    return rendered


def test_a_second_run_with_a_taken_name_gets_the_run_id_in_its_container_name(
    hooks: TypeHooks, shared_name: str
) -> None:
    import docker

    first = FlowRunInfo(id=str(uuid.uuid4()), name=shared_name)
    second = FlowRunInfo(id=str(uuid.uuid4()), name=shared_name)

    first_id = hooks.submit(_job(hooks, first), first).infrastructure_id
    second_id = hooks.submit(_job(hooks, second), second).infrastructure_id

    engine = docker.from_env()
    assert engine.containers.get(first_id).name == shared_name
    assert engine.containers.get(second_id).name == f"{shared_name}-{second.id[:8]}"
