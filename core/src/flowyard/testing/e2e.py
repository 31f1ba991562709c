"""End-to-end helpers for worker-type tests: a flow project, a pool with real worker processes,
deploying, and waiting for a run's state over the API.

A worker type's end-to-end test takes the ``server`` and ``http`` fixtures of
``flowyard.testing.plugin`` and uses these helpers for everything around its own fake or cloud::

    FLOWS = tutorial_flows("mine", "from my platform")  # or the source of your own flows

    def test_the_tutorial_completes(server, http, tmp_path):
        project = flow_project(tmp_path, FLOWS)
        with pool_workers(server, "mine", "my-type", directory=tmp_path) as pool:
            pool.start()
            done = deploy(server, project, "tutorial", work_pool="mine", image="flows:1")
            assert done.returncode == 0, done.stderr
            run = cli_json("deployment", "run", "tutorial/dev", env=server.env())
            assert wait_for_state(http, run["id"])["state_type"] == "COMPLETED"

Failures are ``AssertionError`` naming what was seen (the run, the output), so they read well
under pytest's assertion rewriting (``flowyard.testing`` registers its modules for it).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from flowyard.testing.cli import run_cli
from flowyard.testing.plugin import RunningServer
from flowyard.testing.worker import WorkerProcess, start_worker

FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
"""The state types a flow run ends in."""

_CREATED_RUN = re.compile(r"Created flow run \S+ \(([0-9a-f-]+)\)")

DIES_HARD_FLOW = """
@flow(log_prints=True)
def dies_hard(seconds: float = 8) -> None:
    import os
    print("started", flush=True)
    time.sleep(seconds)
    os._exit(3)  # no final state: only the worker watching its infrastructure can tell
"""
"""A flow whose process exits with code 3 after ``seconds``, without reporting a final state
(append to :func:`tutorial_flows`)."""

HOG_FLOW = """
@flow
def hog(megabytes: int = 400) -> None:
    blocks = []
    for _ in range(megabytes):
        blocks.append(bytearray(1024 * 1024))
        for i in range(0, len(blocks[-1]), 4096):
            blocks[-1][i] = 1
"""
"""A flow that touches ``megabytes`` MiB of memory, to be OOM-killed under a lower limit
(append to :func:`tutorial_flows`)."""


def tutorial_flows(default_name: str, where: str, *extra: str) -> str:
    """The source of the flows most worker-type e2e tests deploy: ``tutorial(name=default_name)``
    prints ``hello <name> <where>`` and returns the name; ``long_one(seconds=120)`` prints
    ``started`` and sleeps (to cancel it, or to kill its worker). ``extra`` sources (e.g.
    :data:`DIES_HARD_FLOW`, :data:`HOG_FLOW`) are appended."""
    return (
        "\nimport time\nfrom flowyard import flow\n\n"
        "@flow(log_prints=True)\n"
        f"def tutorial(name: str = {default_name!r}) -> str:\n"
        f'    print(f"hello {{name}} {where}")\n'
        "    return name\n\n"
        "@flow(log_prints=True)\n"
        "def long_one(seconds: float = 120) -> None:\n"
        '    print("started", flush=True)\n'
        "    time.sleep(seconds)\n" + "".join(extra)
    )


def flow_project(directory: Path, flows: str) -> Path:
    """``directory/project/flows.py`` holding ``flows`` (the source of the test's flows)."""
    root = directory / "project"
    root.mkdir(exist_ok=True)
    (root / "flows.py").write_text(flows)
    return root


def deploy(
    server: RunningServer,
    project: Path,
    flow: str,
    *,
    work_pool: str,
    image: str | None = None,
    job_variables: Mapping[str, Any] | None = None,
    name: str = "dev",
    base_image: str | None = None,
    options: Mapping[str, Any] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``<flow>.deploy(name, work_pool_name=..., image=..., job_variables=..., **options)`` in a
    fresh interpreter in ``project``, as a user's deploy script runs (building the image on the
    local Docker engine unless ``options`` say ``build=False``; without ``image`` nothing is built
    and ``job_variables`` is left out when it is None). ``base_image`` sets
    ``FLOWYARD_DOCKER_BASE_IMAGE`` for the generated Dockerfile. Values are passed as Python
    literals (``repr``). Returns the finished process: the caller asserts on its exit code and
    output."""
    arguments = [repr(name), f"work_pool_name={work_pool!r}"]
    if image is not None:
        arguments.append(f"image={image!r}")
    if job_variables is not None:
        arguments.append(f"job_variables={dict(job_variables)!r}")
    arguments += [f"{key}={value!r}" for key, value in (options or {}).items()]
    code = f"from flows import {flow}\n{flow}.deploy({', '.join(arguments)})"
    env = {"FLOWYARD_DOCKER_BASE_IMAGE": base_image} if base_image else {}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=server.env(**env),
    )


def wait_for_state(
    http: httpx.Client,
    run_id: str,
    states: frozenset[str] = FINAL_STATES,
    timeout: float = 120,
    interval: float = 0.2,
) -> dict[str, Any]:
    """Poll ``/flow_runs/<run_id>`` every ``interval`` seconds until its state type is in
    ``states``; returns the run. Fails with the run as last seen after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = http.get(f"/flow_runs/{run_id}").json()
        if run["state_type"] in states:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(interval)


def wait_until(condition: Callable[[], bool], timeout: float, seen: Callable[[], object]) -> None:
    """Poll ``condition`` until it holds; after ``timeout`` seconds fail with ``seen()`` (what
    the test was waiting on, e.g. the jobs a fake still holds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, seen()
        time.sleep(0.2)


def run_logs(http: httpx.Client, run_id: str) -> str:
    """Every stored log message of a run, one per line."""
    return "\n".join(line["message"] for line in http.get(f"/flow_runs/{run_id}/logs").json())


def watch_deployment_run(
    server: RunningServer, http: httpx.Client, deployment: str, *args: str
) -> tuple[str, dict[str, Any]]:
    """``flowyard deployment run <deployment> <args> --watch``; asserts that it exited 0 and
    printed ``finished: Completed``. Returns its output and the run as the API stores it."""
    watched = run_cli("deployment", "run", deployment, *args, "--watch", env=server.env())
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert "finished: Completed" in watched.stdout, watched.stdout
    run: dict[str, Any] = http.get(f"/flow_runs/{created_run_id(watched.stdout)}").json()
    return watched.stdout, run


def created_run_id(cli_output: str) -> str:
    """The id in ``flowyard deployment run``'s "Created flow run <name> (<id>)" line."""
    found = _CREATED_RUN.search(cli_output)
    assert found is not None, f"no 'Created flow run' line in:\n{cli_output}"
    return found.group(1)


def create_work_pool(
    server: RunningServer,
    name: str,
    worker_type: str,
    *,
    base_job_template: Mapping[str, Any] | None = None,
    directory: Path | None = None,
) -> None:
    """``flowyard work-pool create <name> --type <worker_type>`` against ``server``, with
    ``--base-job-template`` written to ``directory/<name>-template.json`` when one is given."""
    args = ["work-pool", "create", name, "--type", worker_type]
    if base_job_template is not None:
        if directory is None:
            raise ValueError("create_work_pool: a base_job_template needs a directory to write to")
        path = directory / f"{name}-template.json"
        path.write_text(json.dumps(base_job_template))
        args += ["--base-job-template", str(path)]
    created = run_cli(*args, env=server.env())
    assert created.returncode == 0, created.stderr


@dataclass
class PoolWorkers:
    """A work pool's worker processes: ``start`` one more, each stopped when the pool closes."""

    server: RunningServer
    pool: str
    directory: Path
    env: dict[str, str] = field(default_factory=dict)
    worker_args: tuple[str, ...] = ()
    workers: list[WorkerProcess] = field(default_factory=list)

    def start(self, log_name: str = "worker.log", *args: str) -> WorkerProcess:
        """``flowyard worker start --pool <pool> <worker_args> <args>`` with the pool's env,
        logging to ``directory/log_name``; returns once it polls."""
        worker = start_worker(
            self.server,
            "--pool",
            self.pool,
            *self.worker_args,
            *args,
            log=self.directory / log_name,
            wait=True,
            **self.env,
        )
        self.workers.append(worker)
        return worker

    def stop(self, timeout: float = 60) -> None:
        """Stop every worker this pool started (SIGTERM, then wait up to ``timeout`` seconds)."""
        for worker in self.workers:
            worker.stop(timeout=timeout)


@contextmanager
def pool_workers(
    server: RunningServer,
    pool: str,
    worker_type: str,
    *,
    directory: Path,
    base_job_template: Mapping[str, Any] | None = None,
    worker_args: tuple[str, ...] = (),
    stop_timeout: float = 60,
    **env: str,
) -> Iterator[PoolWorkers]:
    """Create the work pool ``pool`` of ``worker_type`` (see :func:`create_work_pool`) and yield
    its :class:`PoolWorkers` (none started yet); every worker started is stopped on exit.
    ``env`` (e.g. the fake's credentials, ``FLOWYARD_WORKER_KILL_GRACE_SECONDS``) is set for
    each worker."""
    create_work_pool(
        server, pool, worker_type, base_job_template=base_job_template, directory=directory
    )
    workers = PoolWorkers(server, pool, directory, dict(env), worker_args)
    try:
        yield workers
    finally:
        workers.stop(timeout=stop_timeout)


@contextmanager
def throwaway_image_tag(prefix: str, version: str = "1") -> Iterator[str]:
    """A fresh ``<prefix>-<random>:<version>`` tag to build a deployment image under; the image
    is removed from the local Docker engine on exit."""
    tag = f"{prefix}-{uuid.uuid4().hex[:8]}:{version}"
    try:
        yield tag
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True)
