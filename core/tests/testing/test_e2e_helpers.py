"""flowyard.testing.e2e and flowyard.testing.rendering: the helpers worker-type e2e tests share,
against a real server and real ``flowyard worker start`` processes (the process type)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from flowyard.job import BaseVariables, base_job_template
from flowyard.testing import e2e
from flowyard.testing.e2e import (
    create_work_pool,
    created_run_id,
    flow_project,
    pool_workers,
    wait_until,
)
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard.testing.rendering import rendered_configuration, sample_flow_run
from pydantic import Field


def test_created_run_id_reads_the_id_from_deployment_runs_output() -> None:
    output = "Created flow run brave-otter (0b7c9e2a-1f3d-4c5e-9a8b-7d6e5f4a3b2c)\nwatching"

    assert created_run_id(output) == "0b7c9e2a-1f3d-4c5e-9a8b-7d6e5f4a3b2c"


def test_created_run_id_fails_showing_the_output_without_a_created_line() -> None:
    with pytest.raises(AssertionError, match=r"no 'Created flow run' line in:\s+nothing here"):
        created_run_id("nothing here")


def test_flow_project_writes_the_flows_source(tmp_path: Path) -> None:
    root = flow_project(tmp_path, "SOURCE = 1\n")

    assert (root / "flows.py").read_text() == "SOURCE = 1\n"


def test_wait_until_fails_with_what_was_seen_after_the_timeout() -> None:
    with pytest.raises(AssertionError, match="still-there"):
        wait_until(lambda: False, 0.3, lambda: "still-there")


@SQLITE_ONLY
def test_create_work_pool_stores_the_given_base_job_template(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    template = base_job_template(BaseVariables)
    template["variables"]["properties"]["env"]["default"] = {"MARK": "on"}

    create_work_pool(server, "marked", "process", base_job_template=template, directory=tmp_path)

    stored = http.get("/work_pools/marked").json()["base_job_template"]
    assert stored["variables"]["properties"]["env"]["default"] == {"MARK": "on"}


@SQLITE_ONLY
def test_a_template_without_a_directory_to_write_it_to_is_refused(server: RunningServer) -> None:
    with pytest.raises(ValueError, match="needs a directory"):
        create_work_pool(server, "p", "process", base_job_template={})


@SQLITE_ONLY
def test_pool_workers_start_with_the_pools_env_and_stop_when_the_pool_closes(
    server: RunningServer, http: httpx.Client, tmp_path: Path
) -> None:
    with pool_workers(
        server, "procs", "process", directory=tmp_path, worker_args=("--name", "w-1")
    ) as pool:
        worker = pool.start()
        assert [w["name"] for w in http.get("/work_pools/procs/workers").json()] == ["w-1"]

    assert worker.process.poll() is not None


class Sized(BaseVariables):
    size: int = Field(default=1, title="Size", description="How big.")


def test_rendered_configuration_adds_the_runs_env_and_labels_over_the_variables() -> None:
    run = sample_flow_run("pool-a")
    template = base_job_template(Sized)
    template["job_configuration"]["size"] = "{{ size }}"

    config = rendered_configuration(template, run, {"size": 3}, {"TOKEN": "t"})

    assert config["size"] == 3
    assert config["env"]["FLOWYARD_FLOW_RUN_ID"] == run.id and config["env"]["TOKEN"] == "t"
    assert config["labels"]["flowyard.flow-run-id"] == run.id
    assert run.work_pool_name == "pool-a"


def test_tutorial_flows_define_the_greeting_flow_the_long_one_and_the_extras() -> None:
    source = e2e.tutorial_flows("pods", "from a pod", e2e.DIES_HARD_FLOW, e2e.HOG_FLOW)
    namespace: dict[str, object] = {}

    exec(compile(source, "flows.py", "exec"), namespace)

    tutorial = namespace["tutorial"]
    assert {"tutorial", "long_one", "dies_hard", "hog"} <= namespace.keys()
    assert tutorial.fn("ann") == "ann"  # type: ignore[attr-defined]
