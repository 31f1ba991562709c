"""The Kubernetes emulator through the official ``kubernetes`` client, pods on the real Docker engine."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flowyard_fakes.kubernetes import KubernetesEmulator
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.docker

IMAGE = "flowyard-python-base:bookworm"


@pytest.fixture
def batch(api_client: client.ApiClient) -> client.BatchV1Api:
    return client.BatchV1Api(api_client)


def job(command: list[str], image: str = IMAGE, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "flow", "image": image, "command": command}
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"generateName": "emu-test-", "labels": {"suite": "emulator"}},
        "spec": {
            "backoffLimit": spec.pop("backoff_limit", 0),
            "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
            **spec,
        },
    }


def until(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s")


def log_text(core: client.CoreV1Api, pod: str) -> str:
    # v36 returns str(bytes) for a preloaded log; read the raw response as clients must
    response = core.read_namespaced_pod_log(pod, "default", _preload_content=False)
    return str(response.data.decode())


def finished_job(batch: client.BatchV1Api, name: str) -> client.V1Job:
    def done() -> client.V1Job | None:
        current = batch.read_namespaced_job(name, "default")
        return current if current.status.conditions else None

    return until(done)


def test_create_with_generate_name_assigns_name_uid_and_resource_version(
    batch: client.BatchV1Api,
) -> None:
    created = batch.create_namespaced_job("default", job(["true"]))

    assert created.metadata.name.startswith("emu-test-")
    assert len(created.metadata.name) == len("emu-test-") + 5
    assert created.metadata.uid and int(created.metadata.resource_version) > 0


def test_a_successful_container_completes_the_job_and_its_pod(
    batch: client.BatchV1Api, core: client.CoreV1Api
) -> None:
    name = batch.create_namespaced_job(
        "default", job(["python", "-c", "print('hi')"])
    ).metadata.name

    done = finished_job(batch, name)
    pods = core.list_namespaced_pod("default", label_selector=f"job-name={name}").items

    assert [c.type for c in done.status.conditions] == ["SuccessCriteriaMet", "Complete"]
    assert done.status.succeeded == 1 and done.status.completion_time is not None
    assert pods[0].status.phase == "Succeeded"
    terminated = pods[0].status.container_statuses[0].state.terminated
    assert (terminated.exit_code, terminated.reason) == (0, "Completed")
    assert log_text(core, pods[0].metadata.name) == "hi\n"


def test_a_failing_container_fails_the_job_with_backoff_limit_exceeded_after_retries(
    batch: client.BatchV1Api, core: client.CoreV1Api
) -> None:
    name = batch.create_namespaced_job(
        "default", job(["python", "-c", "raise SystemExit(4)"], backoff_limit=1)
    ).metadata.name

    done = finished_job(batch, name)
    pods = core.list_namespaced_pod("default", label_selector=f"job-name={name}").items

    assert [c.type for c in done.status.conditions] == ["FailureTarget", "Failed"]
    assert done.status.conditions[-1].reason == "BackoffLimitExceeded"
    assert done.status.failed == 2 and done.status.completion_time is None
    assert len(pods) == 2
    assert {p.status.container_statuses[0].state.terminated.exit_code for p in pods} == {4}
    assert {p.status.container_statuses[0].state.terminated.reason for p in pods} == {"Error"}


def test_exceeding_the_memory_limit_terminates_with_oomkilled(
    batch: client.BatchV1Api, core: client.CoreV1Api
) -> None:
    name = batch.create_namespaced_job(
        "default",
        job(
            ["python", "-c", "x = bytearray(300 * 1024 * 1024)"],
            container={"resources": {"limits": {"memory": "32Mi"}}},
        ),
    ).metadata.name

    finished_job(batch, name)
    pod = core.list_namespaced_pod("default", label_selector=f"job-name={name}").items[0]

    assert pod.status.container_statuses[0].state.terminated.reason == "OOMKilled"


def test_an_image_missing_locally_waits_with_errimagepull_then_imagepullbackoff(
    batch: client.BatchV1Api, core: client.CoreV1Api
) -> None:
    name = batch.create_namespaced_job(
        "default", job(["true"], image="flowyard-missing:1")
    ).metadata.name

    def reason() -> str | None:
        pods = core.list_namespaced_pod("default", label_selector=f"job-name={name}").items
        waiting = pods[0].status.container_statuses[0].state.waiting if pods else None
        return waiting.reason if waiting and waiting.reason == "ImagePullBackOff" else None

    assert until(reason, timeout=15) == "ImagePullBackOff"
    events = core.list_namespaced_event("default").items
    assert any("flowyard-missing:1" in (e.message or "") for e in events)
    pod = core.list_namespaced_pod("default", label_selector=f"job-name={name}").items[0]
    assert pod.status.phase == "Pending"
    batch.delete_namespaced_job(name, "default", propagation_policy="Foreground")


def test_watch_streams_pod_phases_with_resource_versions(
    batch: client.BatchV1Api, core: client.CoreV1Api
) -> None:
    name = batch.create_namespaced_job("default", job(["sleep", "0.5"])).metadata.name
    phases: list[str] = []
    versions: list[int] = []
    stream = watch.Watch().stream(
        core.list_namespaced_pod, "default", label_selector=f"job-name={name}", timeout_seconds=30
    )
    for event in stream:
        pod = event["object"]
        versions.append(int(pod.metadata.resource_version))
        if not phases or phases[-1] != pod.status.phase:
            phases.append(pod.status.phase)
        if pod.status.phase == "Succeeded":
            break

    assert phases == ["Pending", "Running", "Succeeded"]
    assert versions == sorted(versions)


def test_watch_from_a_compacted_resource_version_is_410_gone(
    emulator: KubernetesEmulator, batch: client.BatchV1Api
) -> None:
    old = batch.list_namespaced_job("default").metadata.resource_version
    batch.create_namespaced_job("default", job(["true"]))
    emulator.compact()

    with pytest.raises(ApiException) as caught:
        for _ in watch.Watch().stream(
            batch.list_namespaced_job, "default", resource_version=old, timeout_seconds=5
        ):
            pass

    assert caught.value.status == 410


def test_dropped_watch_breaks_the_clients_stream(
    emulator: KubernetesEmulator, batch: client.BatchV1Api
) -> None:
    import threading

    import urllib3

    rv = batch.list_namespaced_job("default").metadata.resource_version
    threading.Timer(0.5, emulator.drop_watches).start()

    with pytest.raises(urllib3.exceptions.HTTPError):
        for _ in watch.Watch().stream(
            batch.list_namespaced_job, "default", resource_version=rv, timeout_seconds=10
        ):
            pass


def test_foreground_delete_removes_pod_and_container_then_the_job(
    emulator: KubernetesEmulator, batch: client.BatchV1Api, core: client.CoreV1Api
) -> None:
    name = batch.create_namespaced_job("default", job(["sleep", "60"])).metadata.name
    until(
        lambda: [
            p
            for p in core.list_namespaced_pod("default", label_selector=f"job-name={name}").items
            if p.status.phase == "Running"
        ]
    )
    containers_before = set(emulator.container_ids())

    batch.delete_namespaced_job(
        name, "default", propagation_policy="Foreground", grace_period_seconds=1
    )

    until(
        lambda: not emulator.jobs() or name not in {j["metadata"]["name"] for j in emulator.jobs()},
        15,
    )
    assert core.list_namespaced_pod("default", label_selector=f"job-name={name}").items == []
    assert len(set(emulator.container_ids())) < len(containers_before)


def test_unknown_job_is_a_404_status(batch: client.BatchV1Api) -> None:
    with pytest.raises(ApiException) as caught:
        batch.delete_namespaced_job("no-such-job", "default", propagation_policy="Foreground")

    assert caught.value.status == 404
    assert json.loads(caught.value.body)["message"] == 'jobs.batch "no-such-job" not found'


def test_a_body_missing_a_required_field_is_rejected_with_422(batch: client.BatchV1Api) -> None:
    body = job(["true"])
    del body["spec"]["template"]["spec"]["containers"][0]["name"]

    with pytest.raises(ApiException) as caught:
        batch.create_namespaced_job("default", body)

    assert caught.value.status == 422
    assert "name" in caught.value.body


def test_requests_without_the_token_are_unauthorized(emulator: KubernetesEmulator) -> None:
    anonymous = client.BatchV1Api(client.ApiClient(client.Configuration(host=emulator.url)))

    with pytest.raises(ApiException) as caught:
        anonymous.list_namespaced_job("default")

    assert caught.value.status == 401


def test_secret_key_refs_reach_the_container_env(
    batch: client.BatchV1Api, core: client.CoreV1Api
) -> None:
    core.create_namespaced_secret(
        "default", {"metadata": {"name": "emu-key"}, "stringData": {"value": "s3cret"}}
    )
    body = job(
        ["python", "-c", "import os; print(os.environ['KEY'])"],
        container={
            "env": [
                {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "emu-key", "key": "value"}}}
            ]
        },
    )
    name = batch.create_namespaced_job("default", body).metadata.name

    finished_job(batch, name)
    pod = core.list_namespaced_pod("default", label_selector=f"job-name={name}").items[0]

    assert log_text(core, pod.metadata.name) == "s3cret\n"
