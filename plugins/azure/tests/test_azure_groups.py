"""submit / observe / kill through the official client against the ACI fake (containers on Docker).

The hooks get their token from DefaultAzureCredential itself (the fake is its managed-identity
endpoint) and trust the fake's TLS certificate through REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from aci_env import BASE_IMAGE, aci, configuration, flow_run, pool_variables
from flowyard.errors import InfrastructureNotFound
from flowyard.job import ExitStatus, FlowRunInfo, Submission
from flowyard_azure import worker
from flowyard_azure.groups import GroupHandle
from flowyard_azure.job import AzureContainerInstanceJob
from flowyard_fakes.azure_aci import AciFake

pytestmark = pytest.mark.docker
__all__ = ["aci"]


def render(fake: AciFake, **variables: Any) -> tuple[AzureContainerInstanceJob, FlowRunInfo]:
    run = flow_run()
    variables.setdefault("image", BASE_IMAGE)
    return worker.render(configuration(run, **pool_variables(fake), **variables), run), run


def submit_and_observe(
    fake: AciFake, **variables: Any
) -> tuple[ExitStatus | None, Submission[GroupHandle]]:
    job, run = render(fake, **variables)
    submission = worker.submit(job, run)
    return worker.observe(job, submission, run), submission


def wait_until(check: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_a_container_that_exits_zero_is_observed_to_code_zero_and_the_group_deleted(
    aci: AciFake,
) -> None:
    status, submission = submit_and_observe(aci, command="python -c 'print(1)'")

    assert status == ExitStatus(code=0)
    assert submission.infrastructure_id.startswith("flows-rg:brave-otter-")
    assert aci.groups() == []
    wait_until(lambda: aci.container_ids() == [])


def test_the_group_is_created_with_the_api_key_as_a_secure_value_azure_never_returns(
    aci: AciFake,
) -> None:
    job, run = render(aci, command="sleep 30")
    submission = worker.submit(job, run)
    try:
        name = submission.infrastructure_id.split(":")[1]
        sent = aci.stored_body(name)
        assert sent is not None
        env = sent["properties"]["containers"][0]["properties"]["environmentVariables"]
        assert {"name": "FLOWYARD_API_KEY", "secureValue": "sk-very-secret"} in env
        assert "sk-very-secret" not in str(aci.groups())
        assert sent["tags"]["flowyard.flow-run-id"] == run.id
        assert sent["location"] == "westeurope"  # the resource group's
    finally:
        worker.kill(submission.infrastructure_id, job, 0)


def test_a_failing_command_is_observed_to_its_exit_code_with_the_reason(aci: AciFake) -> None:
    status, _ = submit_and_observe(aci, command="sh -c 'exit 3'")

    assert status is not None and status.code == 3
    assert "exited with code 3 (Error)" in (status.reason or "")


def test_a_missing_image_is_a_provisioning_failure_naming_the_image(aci: AciFake) -> None:
    status, _ = submit_and_observe(aci, image="registry.example/flows:missing")

    assert status is not None and status.code != 0
    reason = status.reason or ""
    assert "InaccessibleImage" in reason and "'registry.example/flows:missing'" in reason
    assert "Failed to pull image" in reason
    assert aci.groups() == []


def test_stream_output_copies_the_containers_log_to_the_worker(
    aci: AciFake, capfd: pytest.CaptureFixture[str]
) -> None:
    status, _ = submit_and_observe(
        aci, command="sh -c 'echo one; sleep 1.5; echo two'", stream_output=True
    )

    assert status == ExitStatus(code=0)
    err = capfd.readouterr().err
    assert err.index("one") < err.index("two")


def test_keep_container_group_stops_the_group_instead_of_deleting_it(aci: AciFake) -> None:
    status, submission = submit_and_observe(aci, command="true", keep_container_group=True)

    assert status == ExitStatus(code=0)
    (group,) = aci.groups()
    assert group["name"] == submission.infrastructure_id.split(":")[1]
    assert group["properties"]["instanceView"]["state"] == "Stopped"


def test_kill_deletes_the_group_and_its_container_and_observe_reports_it(aci: AciFake) -> None:
    job, run = render(aci, command="sleep 60")
    submission = worker.submit(job, run)
    result: list[ExitStatus | None] = []
    watcher = threading.Thread(target=lambda: result.append(worker.observe(job, submission, run)))
    watcher.start()
    wait_until(lambda: len(aci.container_ids()) == 1)

    worker.kill(submission.infrastructure_id, job, 1)

    watcher.join(30)
    assert aci.groups() == [] and aci.container_ids() == []
    assert result and result[0] is not None and "was deleted" in (result[0].reason or "")


def test_killing_an_unknown_group_raises_infrastructure_not_found(aci: AciFake) -> None:
    job, _ = render(aci)

    with pytest.raises(InfrastructureNotFound, match="flows-rg/no-such-group"):
        worker.kill("flows-rg:no-such-group", job, 0)


def test_a_container_that_never_starts_in_time_ends_with_the_start_timeout(
    aci: AciFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aci.runner, "start", lambda spec: time.sleep(5) or "gone")

    status, _ = submit_and_observe(aci, task_start_timeout_seconds=1)

    assert status is not None and status.code != 0
    assert "did not start within 1 s (task_start_timeout_seconds)" in (status.reason or "")
