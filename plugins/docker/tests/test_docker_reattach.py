"""``reattach`` on the real engine: a container started earlier is found again by its id and
waited for as if this worker had started it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from docker_env import engine_or_skip
from flowyard.errors import InfrastructureNotFound
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
def run() -> FlowRunInfo:
    return FlowRunInfo(id=str(uuid.uuid4()), name=f"reattach-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def job(hooks: TypeHooks, run: FlowRunInfo) -> Iterator[DockerJob]:
    import docker
    from docker.errors import ImageNotFound, NotFound

    try:
        docker.from_env().images.get(BASE_IMAGE)
    except ImageNotFound:
        pytest.skip(f"{BASE_IMAGE} is not built (scripts/build-python-base-image)")
    template = hooks.default_base_job_template()
    variables = {
        "image": BASE_IMAGE,
        "image_pull_policy": "Never",
        "command": "sh -c 'sleep 1; exit 4'",
    }
    rendered = hooks.render(
        build_job_configuration(template, merge_job_variables(template, variables)), run
    )
    assert isinstance(rendered, DockerJob)
    yield rendered
    with contextlib.suppress(NotFound):
        docker.from_env().containers.get(rendered.container_name()).remove(force=True)


def test_a_container_started_earlier_is_found_by_its_id_and_its_exit_reported(
    hooks: TypeHooks, job: DockerJob, run: FlowRunInfo
) -> None:
    container_id = hooks.submit(job, run).infrastructure_id  # by a worker since restarted

    found = hooks.reattach(container_id, job, run)

    assert found is not None and found.infrastructure_id == container_id
    status = hooks.observe(job, found, run)
    assert status is not None and status.code == 4
    assert status.reason == "The container exited with code 4."


def test_reattaching_to_a_removed_container_raises_infrastructure_not_found(
    hooks: TypeHooks, job: DockerJob, run: FlowRunInfo
) -> None:
    with pytest.raises(InfrastructureNotFound, match="no longer exists"):
        hooks.reattach("0" * 64, job, run)
