"""submit / observe / kill through the official client against the emulator (pods on real Docker)."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flowyard.errors import InfrastructureNotFound
from flowyard.job import ExitStatus, FlowRunInfo, Submission
from flowyard_fakes.kubernetes import KubernetesEmulator
from flowyard_kubernetes import worker
from flowyard_kubernetes.job import KubernetesJob
from flowyard_kubernetes.jobs import JobHandle
from kube_env import BASE_IMAGE, configuration, docker_or_skip, flow_run
from kubernetes import client
from test_kubernetes_type import PREFECT_TEMPLATE

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubernetesEmulator]:
    docker_or_skip()
    with KubernetesEmulator() as fake:
        yield fake


def render(
    emulator: KubernetesEmulator, template: dict[str, Any] | None = None, **variables: Any
) -> tuple[KubernetesJob, FlowRunInfo]:
    run = flow_run()
    variables.setdefault("image", BASE_IMAGE)
    variables["cluster_config"] = {"config": emulator.kubeconfig()}
    return worker.render(configuration(template, run, **variables), run), run


def submit_and_observe(
    emulator: KubernetesEmulator, **variables: Any
) -> tuple[ExitStatus | None, Submission[JobHandle]]:
    job, run = render(emulator, **variables)
    submission = worker.submit(job, run)
    return worker.observe(job, submission, run), submission


def python(code: str) -> str:
    return f"python -c {code!r}"


def test_a_job_that_exits_zero_is_observed_to_code_zero_with_its_output_streamed(
    emulator: KubernetesEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    status, submission = submit_and_observe(emulator, command=python("print('hello from a pod')"))

    assert status == ExitStatus(code=0)
    namespace, name = submission.infrastructure_id.split(":")
    assert namespace == "default" and name.startswith("brave-otter-")
    assert "hello from a pod" in capfd.readouterr().out


def test_the_job_carries_flowyard_labels_and_env(emulator: KubernetesEmulator) -> None:
    job, run = render(
        emulator, command=python("import os; print(os.environ['FLOWYARD_FLOW_RUN_ID'])")
    )
    submission = worker.submit(job, run)
    worker.observe(job, submission, run)

    stored = next(
        j for j in emulator.jobs() if j["metadata"]["name"] == submission.details["job_name"]
    )
    assert stored["metadata"]["labels"]["flowyard.io/flow-run-id"] == run.id
    pod = emulator.pods(label_selector=f"job-name={submission.details['job_name']}")[0]
    assert pod["metadata"]["labels"]["flowyard.io/flow-run-id"] == run.id


def test_a_non_zero_exit_is_reported_with_its_code(emulator: KubernetesEmulator) -> None:
    status, _ = submit_and_observe(emulator, command=python("raise SystemExit(3)"))

    assert status is not None
    assert status.code == 3
    assert status.reason == "The container exited with code 3."


def test_an_oom_kill_is_explained_with_the_memory_limit(emulator: KubernetesEmulator) -> None:
    status, _ = submit_and_observe(
        emulator, command=python("x = bytearray(300 * 1024 * 1024)"), memory_limit="32Mi"
    )

    assert status is not None and status.code == 137
    assert "OOMKilled" in (status.reason or "") and "32Mi" in (status.reason or "")


def test_a_missing_image_ends_after_the_pod_deadline_naming_the_image_and_deletes_the_job(
    emulator: KubernetesEmulator,
) -> None:
    started = time.monotonic()
    status, submission = submit_and_observe(
        emulator, image="flowyard-no-such-image:1", pod_watch_timeout_seconds=3
    )

    assert status is not None and status.code != 0
    assert "'flowyard-no-such-image:1' could not be pulled" in (status.reason or "")
    assert "ImagePullBackOff" in (status.reason or "") or "ErrImagePull" in (status.reason or "")
    assert 3 <= time.monotonic() - started < 30
    name = submission.details["job_name"]
    deadline = time.monotonic() + 10
    while any(j["metadata"]["name"] == name for j in emulator.jobs()):
        assert time.monotonic() < deadline, "the Job was not deleted"
        time.sleep(0.1)


def test_backoff_retries_are_followed_until_the_limit(emulator: KubernetesEmulator) -> None:
    status, submission = submit_and_observe(
        emulator, command=python("raise SystemExit(2)"), backoff_limit=1
    )

    assert status is not None and status.code == 2
    assert "after 2 attempts (BackoffLimitExceeded" in (status.reason or "")
    assert len(emulator.pods(label_selector=f"job-name={submission.details['job_name']}")) == 2


def test_a_dropped_watch_is_resumed_and_the_end_still_observed(
    emulator: KubernetesEmulator,
) -> None:
    job, run = render(emulator, command=python("import time; time.sleep(3)"))
    submission = worker.submit(job, run)
    threading.Timer(1.5, emulator.drop_watches).start()

    assert worker.observe(job, submission, run) == ExitStatus(code=0)


def test_a_410_gone_watch_is_relisted_and_the_end_still_observed(
    emulator: KubernetesEmulator,
) -> None:
    job, run = render(emulator, command=python("import time; time.sleep(3)"))
    submission = worker.submit(job, run)

    def expire() -> None:
        emulator.compact()
        emulator.drop_watches()  # the resumed watch asks for a compacted resourceVersion

    threading.Timer(1.5, expire).start()

    assert worker.observe(job, submission, run) == ExitStatus(code=0)


def test_kill_deletes_the_job_pod_and_container(emulator: KubernetesEmulator) -> None:
    job, run = render(emulator, command="sleep 120")
    submission = worker.submit(job, run)
    name = submission.details["job_name"]
    deadline = time.monotonic() + 30
    while not any(
        p["status"]["phase"] == "Running" for p in emulator.pods(label_selector=f"job-name={name}")
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    containers = len(emulator.container_ids())
    observed: list[ExitStatus | None] = []
    watcher = threading.Thread(target=lambda: observed.append(worker.observe(job, submission, run)))
    watcher.start()

    started = time.monotonic()
    worker.kill(submission.infrastructure_id, job, 2)

    assert time.monotonic() - started < 10
    assert emulator.pods(label_selector=f"job-name={name}") == []
    assert len(emulator.container_ids()) == containers - 1
    watcher.join(timeout=15)
    assert observed and observed[0] is not None
    assert "was deleted" in (observed[0].reason or "")


def test_killing_a_job_that_is_gone_raises_infrastructure_not_found(
    emulator: KubernetesEmulator,
) -> None:
    job, _ = render(emulator)

    with pytest.raises(InfrastructureNotFound, match="default/no-such-job"):
        worker.kill("default:no-such-job", job, 1)


def test_a_job_deleted_underneath_is_explained(emulator: KubernetesEmulator) -> None:
    job, run = render(emulator, command="sleep 120")
    submission = worker.submit(job, run)
    api = client.BatchV1Api(submission.handle.api)  # type: ignore[union-attr]
    threading.Timer(
        2,
        lambda: api.delete_namespaced_job(
            submission.details["job_name"], "default", propagation_policy="Background"
        ),
    ).start()

    status = worker.observe(job, submission, run)

    assert status is not None and status.code != 0
    assert status.reason == (
        f"The Kubernetes Job default/{submission.details['job_name']} was deleted before its pod finished."
    )


def test_the_api_key_is_read_from_a_secret_in_the_pod(emulator: KubernetesEmulator) -> None:
    core = client.CoreV1Api(client.ApiClient(_configuration(emulator)))
    core.create_namespaced_secret(
        "default", {"metadata": {"name": "flowyard-api"}, "stringData": {"value": "fy_key"}}
    )
    job, run = render(
        emulator,
        command=python(
            "import os; raise SystemExit(0 if os.environ['FLOWYARD_API_KEY'] == 'fy_key' else 9)"
        ),
        api_key_secret_name="flowyard-api",
    )

    assert worker.observe(job, worker.submit(job, run), run) == ExitStatus(code=0)


def test_a_prefect_template_runs_a_job_to_completion(emulator: KubernetesEmulator) -> None:
    job, run = render(
        emulator, copy.deepcopy(PREFECT_TEMPLATE), command=python("print('prefect-shaped')")
    )

    assert worker.observe(job, worker.submit(job, run), run) == ExitStatus(code=0)


def _configuration(emulator: KubernetesEmulator) -> client.Configuration:
    configuration = client.Configuration(host=emulator.url)
    configuration.api_key = {"authorization": f"Bearer {emulator.token}"}
    return configuration


def test_another_worker_can_reattach_to_a_running_job_from_its_id_and_observe_it(
    emulator: KubernetesEmulator,
) -> None:
    job, run = render(emulator, command=python("import time; time.sleep(2); raise SystemExit(5)"))
    infrastructure_id = worker.submit(job, run).infrastructure_id

    found = worker.reattach(infrastructure_id, job, run)

    assert found.infrastructure_id == infrastructure_id
    status = worker.observe(job, found, run)

    assert status is not None and status.code == 5


def test_reattaching_to_a_vanished_job_raises_infrastructure_not_found(
    emulator: KubernetesEmulator,
) -> None:
    job, run = render(emulator)

    with pytest.raises(InfrastructureNotFound):
        worker.reattach("default:no-such-job", job, run)


def test_an_evicted_pod_is_explained_as_evicted(emulator: KubernetesEmulator) -> None:
    job, run = render(emulator, command="sleep 120")
    submission = worker.submit(job, run)
    name = submission.details["job_name"]

    def evict_when_running() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            running = [
                p
                for p in emulator.pods(label_selector=f"job-name={name}")
                if p["status"]["phase"] == "Running"
            ]
            if running:
                emulator.evict(
                    running[0]["metadata"]["name"], message="The node was low on memory."
                )
                return
            time.sleep(0.1)

    threading.Thread(target=evict_when_running).start()
    status = worker.observe(job, submission, run)

    assert status is not None and status.code != 0
    assert status.reason is not None and status.reason.endswith(
        "was evicted: The node was low on memory."
    )
