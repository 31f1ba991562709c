"""flowyard_fakes.containers against the real Docker engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from flowyard_fakes.containers import ContainerRunner, ContainerSpec, ImageNotPresent

pytestmark = pytest.mark.docker

IMAGE = "flowyard-python-base:bookworm"


@pytest.fixture(scope="module")
def runner() -> ContainerRunner:
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    subprocess.run([str(root / "scripts" / "build-python-base-image")], check=True)
    return ContainerRunner()


@pytest.fixture
def started(runner: ContainerRunner) -> Iterator[list[str]]:
    ids: list[str] = []
    yield ids
    for cid in ids:
        runner.remove(cid)


def spec(**overrides: object) -> ContainerSpec:
    values: dict[str, object] = {
        "name": f"fakes-test-{uuid.uuid4().hex[:8]}",
        "image": IMAGE,
        "labels": {"flowyard-fakes-test": "1"},
    }
    values.update(overrides)
    return ContainerSpec(**values)  # type: ignore[arg-type]


def test_runs_the_command_and_reports_its_exit_code(
    runner: ContainerRunner, started: list[str]
) -> None:
    cid = runner.start(spec(command=["python", "-c", "import sys; sys.exit(3)"]))
    started.append(cid)

    result = runner.wait(cid, timeout=60)

    assert result is not None
    assert (result.exit_code, result.oom_killed) == (3, False)


def test_args_without_command_replace_the_image_cmd_and_env_reaches_the_process(
    runner: ContainerRunner, started: list[str]
) -> None:
    cid = runner.start(
        spec(
            args=["python", "-c", "import os; print('hello', os.environ['WHO'])"],
            env={"WHO": "fakes"},
        )
    )
    started.append(cid)
    runner.wait(cid, timeout=60)

    output = b"".join(runner.logs(cid, follow=False))

    assert output.strip() == b"hello fakes"


def test_follow_logs_streams_until_the_container_exits(
    runner: ContainerRunner, started: list[str]
) -> None:
    script = "import time\nfor i in range(3):\n    print(i, flush=True); time.sleep(0.2)"
    cid = runner.start(spec(command=["python", "-c", script]))
    started.append(cid)

    output = b"".join(runner.logs(cid, follow=True))

    assert output.split() == [b"0", b"1", b"2"]
    assert runner.state(cid).running is False


def test_exceeding_the_memory_limit_is_reported_as_oom_killed(
    runner: ContainerRunner, started: list[str]
) -> None:
    cid = runner.start(
        spec(
            command=["python", "-c", "x = bytearray(200 * 1024 * 1024); print(len(x))"],
            memory_limit_bytes=32 * 1024 * 1024,
        )
    )
    started.append(cid)

    result = runner.wait(cid, timeout=60)

    assert result is not None
    assert result.oom_killed is True
    assert result.exit_code == 137


def test_an_image_missing_locally_raises_image_not_present_without_pulling(
    runner: ContainerRunner,
) -> None:
    with pytest.raises(ImageNotPresent) as caught:
        runner.start(spec(image="flowyard-no-such-image:never"))

    assert caught.value.image == "flowyard-no-such-image:never"


def test_wait_returns_none_when_the_timeout_passes_first(
    runner: ContainerRunner, started: list[str]
) -> None:
    cid = runner.start(spec(command=["sleep", "30"]))
    started.append(cid)

    assert runner.wait(cid, timeout=1) is None
    assert runner.state(cid).running is True


def test_stop_ends_a_running_container_and_remove_makes_it_gone(
    runner: ContainerRunner, started: list[str]
) -> None:
    cid = runner.start(spec(command=["sleep", "30"]))
    started.append(cid)

    runner.stop(cid, grace_seconds=1)
    assert runner.state(cid).running is False
    runner.remove(cid)

    assert runner.exists(cid) is False
    runner.remove(cid)  # removing again is not an error
    runner.stop(cid, grace_seconds=1)


def test_containers_are_found_by_their_labels(runner: ContainerRunner, started: list[str]) -> None:
    marker = uuid.uuid4().hex
    cid = runner.start(spec(command=["true"], labels={"fakes-marker": marker}))
    started.append(cid)

    assert runner.ids_with_labels({"fakes-marker": marker}) == [cid]


def test_containers_reach_the_host_through_host_docker_internal(
    runner: ContainerRunner, started: list[str]
) -> None:
    cid = runner.start(
        spec(
            command=[
                "python",
                "-c",
                "import socket; print(socket.gethostbyname('host.docker.internal'))",
            ]
        )
    )
    started.append(cid)
    result = runner.wait(cid, timeout=60)

    assert result is not None and result.exit_code == 0
    assert b"".join(runner.logs(cid, follow=False)).strip() != b""
