"""The kubernetes worker end to end: a real server, `flowyard worker start` as a subprocess talking to
the Kubernetes emulator through the official client, deployment images built on the real Docker
engine, each flow run in a container the emulator starts for the Job's pod.

The pool's template sets ``hostNetwork: true`` in the pod spec (a platform team's customisation),
so the flow's container reaches the loopback server as it is.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flowyard.testing import e2e
from flowyard.testing.cli import cli_json, run_cli
from flowyard.testing.plugin import SQLITE_ONLY, RunningServer
from flowyard_fakes.kubernetes import KubernetesEmulator
from kube_env import flowyard_image, host_network_template

pytestmark = [pytest.mark.docker, pytest.mark.slow, SQLITE_ONLY]

FLOWS = e2e.tutorial_flows("kubernetes", "from a pod", e2e.DIES_HARD_FLOW, e2e.HOG_FLOW)


@pytest.fixture(scope="module")
def base_image() -> str:
    return flowyard_image()


@pytest.fixture
def emulator() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator() as fake:
        yield fake


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return e2e.flow_project(tmp_path, FLOWS)


@pytest.fixture(scope="module")
def image_tag(base_image: str) -> Iterator[str]:
    with e2e.throwaway_image_tag("flowyard-k8s-e2e") as tag:
        yield tag


@pytest.fixture
def kube_pool(
    server: RunningServer, emulator: KubernetesEmulator, tmp_path: Path
) -> Iterator[e2e.PoolWorkers]:
    """The pool ``k8s`` (pods in the host network); each test starts its workers, all named
    ``k8s-worker`` (a restarted worker adopts its runs)."""
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    with e2e.pool_workers(
        server,
        "k8s",
        "kubernetes",
        directory=tmp_path,
        base_job_template=host_network_template(),
        worker_args=("--name", "k8s-worker"),
        KUBECONFIG=str(kubeconfig),
        FLOWYARD_WORKER_KILL_GRACE_SECONDS="2",
    ) as pool:
        yield pool


def deploy(
    server: RunningServer, project: Path, base_image: str, flow: str, image: str, **variables: Any
) -> None:
    done = e2e.deploy(
        server,
        project,
        flow,
        work_pool="k8s",
        image=image,
        job_variables={"image_pull_policy": "Never", **variables},
        base_image=base_image,
    )
    assert done.returncode == 0, done.stderr


def job_pod_and_container_gone(emulator: KubernetesEmulator) -> bool:
    """The emulator holds no Job or pod and runs no container."""
    return not (emulator.jobs() or emulator.pods() or emulator.container_ids())


def test_the_tutorial_flow_runs_in_a_pod_and_completes_with_its_prints_in_the_logs(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    emulator: KubernetesEmulator,
    kube_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag)
    kube_pool.start()

    output, run = e2e.watch_deployment_run(server, http, "tutorial/dev", "--param", "name=ann")

    assert "hello ann from a pod" in output
    assert run["state_type"] == "COMPLETED"
    assert "hello ann from a pod" in e2e.run_logs(http, run["id"])
    namespace, job_name = run["infrastructure_id"].split(":")
    assert namespace == "default"
    job = next(j for j in emulator.jobs() if j["metadata"]["name"] == job_name)
    assert job["metadata"]["labels"]["flowyard.io/flow-run-id"] == run["id"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == image_tag
    kube_pool.workers[0].wait_for_output("hello ann from a pod")  # stream_output


def test_cancelling_removes_the_job_pod_and_container_within_the_grace_period(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    emulator: KubernetesEmulator,
    kube_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "long_one", image_tag)
    kube_pool.start()
    run = cli_json("deployment", "run", "long-one/dev", env=server.env())
    e2e.wait_for_state(http, run["id"], frozenset({"RUNNING"}))
    assert emulator.container_ids()

    started = time.monotonic()
    assert run_cli("flow-run", "cancel", run["id"], env=server.env()).returncode == 0

    assert e2e.wait_for_state(http, run["id"], timeout=30)["state_type"] == "CANCELLED"
    grace_and_slack = started + 2 + 15 - time.monotonic()  # + the engine's own shutdown
    e2e.wait_until(
        lambda: job_pod_and_container_gone(emulator),
        grace_and_slack,
        lambda: (emulator.jobs(), emulator.pods()),
    )


def test_a_missing_image_ends_crashed_naming_the_image(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    kube_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "tutorial", image_tag, pod_watch_timeout_seconds=3)
    kube_pool.start()

    run = cli_json(
        "deployment",
        "run",
        "tutorial/dev",
        "-jv",
        "image=registry.example/flows:missing",
        env=server.env(),
    )
    final = e2e.wait_for_state(http, run["id"], timeout=60)

    assert final["state_type"] == "CRASHED", final
    assert "'registry.example/flows:missing' could not be pulled" in final["state_message"]


def test_an_oom_kill_ends_crashed_with_oomkilled(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    kube_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "hog", image_tag, memory_limit="64Mi")
    kube_pool.start()

    run = cli_json("deployment", "run", "hog/dev", env=server.env())
    final = e2e.wait_for_state(http, run["id"])

    assert final["state_type"] == "CRASHED", final
    assert "OOMKilled" in final["state_message"] and "64Mi" in final["state_message"]


def test_a_watch_dropped_mid_run_still_ends_completed(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    emulator: KubernetesEmulator,
    kube_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "long_one", image_tag)
    worker = kube_pool.start()
    run = cli_json("deployment", "run", "long-one/dev", "--param", "seconds=4", env=server.env())
    e2e.wait_for_state(http, run["id"], frozenset({"RUNNING"}))

    emulator.drop_watches()

    assert e2e.wait_for_state(http, run["id"])["state_type"] == "COMPLETED"
    assert "dropped" in worker.output()


def test_a_worker_killed_and_restarted_mid_run_observes_the_job_to_completion(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    emulator: KubernetesEmulator,
    kube_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "long_one", image_tag)
    first = kube_pool.start()
    run = cli_json("deployment", "run", "long-one/dev", "--param", "seconds=6", env=server.env())
    e2e.wait_for_state(http, run["id"], frozenset({"RUNNING"}))

    first.stop(signal.SIGKILL)  # no clean-up: the Job must not depend on the worker process
    second = kube_pool.start("worker-2.log")  # the same --name: it adopts its runs

    assert e2e.wait_for_state(http, run["id"])["state_type"] == "COMPLETED"
    e2e.wait_until(  # the engine reports before its process has exited
        lambda: [p["status"]["phase"] for p in emulator.pods()] == ["Succeeded"],
        15,
        emulator.pods,
    )
    output = second.output()
    assert f"Re-attached to flow run {run['name']} ({run['id']})" in output
    assert "started" in output  # the pod's log, streamed by the restarted worker


def test_a_pod_that_fails_after_its_worker_restarted_ends_crashed_with_its_exit_explained(
    server: RunningServer,
    http: httpx.Client,
    project: Path,
    base_image: str,
    image_tag: str,
    kube_pool: e2e.PoolWorkers,
) -> None:
    deploy(server, project, base_image, "dies_hard", image_tag, backoff_limit=0)
    first = kube_pool.start()
    run = cli_json("deployment", "run", "dies-hard/dev", env=server.env())
    e2e.wait_for_state(http, run["id"], frozenset({"RUNNING"}))

    first.stop(signal.SIGKILL)
    kube_pool.start("worker-2.log")

    # the engine dies without a final state: only the restarted worker, watching the pod, ends it
    final = e2e.wait_for_state(http, run["id"], timeout=60)
    assert final["state_type"] == "CRASHED", final
    assert "The container exited with code 3" in final["state_message"]
    assert "The container exited with code 3" in e2e.run_logs(http, run["id"])
