"""The ecs type's hooks against moto in server mode (no containers run: tasks stay PROVISIONING)."""

from __future__ import annotations

from typing import Any

import pytest
from flowyard.errors import InfrastructureNotFound
from flowyard.job import FlowRunInfo, Submission, base_job_template
from flowyard.templating import build_job_configuration, merge_job_variables
from flowyard_aws import worker
from flowyard_aws.credentials import AwsCredentials
from flowyard_aws.job import EcsHandle, EcsJob
from flowyard_aws.variables import EcsVariables
from flowyard_fakes.ecs import FakeAws

RUN = FlowRunInfo(
    id="run-1", name="brave-otter", flow_id="flow-1", deployment_id="dep-1", work_pool_name="ecs"
)


def job(aws: FakeAws, **variables: Any) -> EcsJob:
    """Render a job as the worker does: template defaults < these variables, then ``render``."""
    template = base_job_template(EcsVariables)
    values = merge_job_variables(template, {"image": "flows:1", **variables}, {})
    configuration = build_job_configuration(template, values)
    configuration["env"] = {**configuration.get("env", {}), "FLOWYARD_FLOW_RUN_ID": RUN.id}
    return worker.render(configuration, RUN)


@pytest.fixture(autouse=True)
def default_chain(aws_records: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in aws_records.env().items():
        monkeypatch.setenv(key, value)


def revisions(aws: FakeAws, family: str) -> list[str]:
    arns = aws.client("ecs").list_task_definitions(familyPrefix=family)["taskDefinitionArns"]
    return [str(a) for a in arns]


def describe(aws: FakeAws, submission: Submission[EcsHandle]) -> dict[str, Any]:
    assert submission.handle is not None
    task = aws.client("ecs").describe_tasks(
        cluster=submission.handle.cluster, tasks=[submission.handle.task_arn], include=["TAGS"]
    )["tasks"][0]
    return dict(task)


def test_the_default_template_holds_a_task_definition_and_a_run_request() -> None:
    template = base_job_template(EcsVariables)
    configuration = template["job_configuration"]
    assert configuration["task_definition"]["containerDefinitions"][0]["image"] == "{{ image }}"
    assert configuration["task_run_request"]["launchType"] == "{{ launch_type }}"
    properties = template["variables"]["properties"]
    assert properties["launch_type"]["enum"] == ["FARGATE", "FARGATE_SPOT", "EC2", "EXTERNAL"]
    for name in ("image", "cluster", "network_configuration", "task_start_timeout_seconds"):
        assert properties[name]["description"], name


def test_a_job_without_an_image_is_an_error_naming_image(aws_records: FakeAws) -> None:
    with pytest.raises(ValueError, match="image: no image"):
        worker.submit(job(aws_records, image=None), RUN)


def test_submit_runs_a_fargate_task_in_the_default_vpc_and_returns_cluster_and_arn(
    aws_records: FakeAws,
) -> None:
    submission = worker.submit(job(aws_records, labels={"team": "data"}), RUN)
    cluster, _, task_arn = submission.infrastructure_id.partition("::")
    assert cluster == "default" and task_arn.startswith("arn:aws:ecs:")
    task = describe(aws_records, submission)
    assert task["launchType"] == "FARGATE"
    override = task["overrides"]["containerOverrides"][0]
    assert override["name"] == "flowyard"
    assert override["command"] == ["python", "-m", "flowyard.engine"]
    assert {"name": "FLOWYARD_FLOW_RUN_ID", "value": "run-1"} in override["environment"]
    tags = {t["key"]: t["value"] for t in task["tags"]}
    assert tags["team"] == "data" and tags["Name"] == "brave-otter"
    ec2 = aws_records.client("ec2")
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnet_id = next(
        d["value"] for d in task["attachments"][0]["details"] if d["name"] == "subnetId"
    )
    subnet = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    assert subnet["VpcId"] == default_vpc["VpcId"]


def test_the_same_definition_is_registered_once_and_a_changed_one_again(
    aws_records: FakeAws,
) -> None:
    first = worker.submit(job(aws_records), RUN)
    second = worker.submit(job(aws_records, env={"OTHER": "x"}), RUN)  # env goes in overrides
    assert first.details["task_definition_registered"] is True
    assert second.details["task_definition_registered"] is False
    assert first.details["task_definition_arn"] == second.details["task_definition_arn"]
    changed = worker.submit(job(aws_records, image="flows:2"), RUN)
    assert changed.details["task_definition_registered"] is True
    assert len(revisions(aws_records, "flowyard_ecs_dep-1")) == 2
    back = worker.submit(job(aws_records), RUN)  # an older revision still matches
    assert back.details["task_definition_arn"] == first.details["task_definition_arn"]
    assert len(revisions(aws_records, "flowyard_ecs_dep-1")) == 2


def test_match_latest_revision_only_registers_again_when_an_older_one_matches(
    aws_records: FakeAws,
) -> None:
    worker.submit(job(aws_records), RUN)
    worker.submit(job(aws_records, image="flows:2"), RUN)
    again = worker.submit(job(aws_records, match_latest_revision_in_family=True), RUN)
    assert again.details["task_definition_registered"] is True


def test_fargate_without_subnets_and_without_a_default_vpc_names_network_configuration(
    aws_records: FakeAws,
) -> None:
    aws_records.delete_default_vpc()
    with pytest.raises(ValueError, match="network_configuration") as caught:
        worker.submit(job(aws_records), RUN)
    assert "no default VPC" in str(caught.value)


def test_given_subnets_outside_vpc_id_are_an_error_naming_vpc_id(aws_records: FakeAws) -> None:
    ec2 = aws_records.client("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    other = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ValueError, match="vpc_id"):
        worker.submit(
            job(aws_records, vpc_id=other, network_configuration={"subnets": [subnet]}), RUN
        )


def test_fargate_spot_becomes_a_capacity_provider_strategy(aws_records: FakeAws) -> None:
    submission = worker.submit(job(aws_records, launch_type="FARGATE_SPOT"), RUN)
    task = describe(aws_records, submission)
    assert "launchType" not in task or task["launchType"] != "FARGATE_SPOT"
    assert task["capacityProviderName"] == "FARGATE_SPOT"


def test_an_unknown_cluster_is_an_error_naming_cluster(aws_records: FakeAws) -> None:
    with pytest.raises(ValueError, match="cluster: ECS cluster 'nowhere' does not exist"):
        worker.submit(job(aws_records, cluster="nowhere"), RUN)


def test_kill_stops_the_task(aws_records: FakeAws) -> None:
    rendered = job(aws_records)
    submission = worker.submit(rendered, RUN)
    worker.kill(submission.infrastructure_id, rendered, 5)
    task = describe(aws_records, submission)
    assert task["desiredStatus"] == "STOPPED" and task["stopCode"] == "UserInitiated"


def test_kill_of_an_unknown_task_raises_infrastructure_not_found(aws_records: FakeAws) -> None:
    rendered = job(aws_records)
    with pytest.raises(InfrastructureNotFound):
        worker.kill("default::arn:aws:ecs:us-east-1:123456789012:task/default/nope", rendered, 5)
    with pytest.raises(InfrastructureNotFound):
        worker.kill("not-an-ecs-id", rendered, 5)


def test_a_task_that_never_starts_is_stopped_after_the_start_timeout(aws_records: FakeAws) -> None:
    rendered = job(aws_records, task_start_timeout_seconds=1, task_watch_poll_interval=0.2)
    submission = worker.submit(rendered, RUN)
    status = worker.observe(rendered, submission, RUN)
    assert status.code != 0
    assert status.reason is not None and "did not start within 1 s" in status.reason
    assert "PROVISIONING" in status.reason
    assert describe(aws_records, submission)["desiredStatus"] == "STOPPED"


def test_named_credentials_come_from_the_worker_environment_only(
    aws_records: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key)
    monkeypatch.setenv("FLOWYARD_AWS_PROD_ACCESS_KEY_ID", "AKIAPRODEXAMPLE")
    monkeypatch.setenv("FLOWYARD_AWS_PROD_SECRET_ACCESS_KEY", "very-secret-value")
    monkeypatch.setenv("FLOWYARD_AWS_PROD_ENDPOINT_URL", aws_records.endpoint_url)
    rendered = job(aws_records, aws_credentials="prod")
    submission = worker.submit(rendered, RUN)
    assert "very-secret-value" not in rendered.model_dump_json()
    task = describe(aws_records, submission)
    assert "very-secret-value" not in str(task) and "AKIAPRODEXAMPLE" not in str(task)
    credentials = AwsCredentials.named("prod")
    assert "very-secret-value" not in repr(credentials) and "AKIAPROD" not in repr(credentials)


def test_named_credentials_missing_from_the_environment_are_an_error(
    aws_records: FakeAws,
) -> None:
    with pytest.raises(ValueError, match="FLOWYARD_AWS_STAGING_ACCESS_KEY_ID"):
        worker.submit(job(aws_records, aws_credentials="staging"), RUN)


def test_named_credentials_can_assume_a_role(
    aws_records: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = aws_records.create_role("flowyard-worker")
    monkeypatch.setenv("FLOWYARD_AWS_ROLE_ACCESS_KEY_ID", "AKIABASE")
    monkeypatch.setenv("FLOWYARD_AWS_ROLE_SECRET_ACCESS_KEY", "base-secret")
    monkeypatch.setenv("FLOWYARD_AWS_ROLE_ROLE_ARN", role)
    monkeypatch.setenv("FLOWYARD_AWS_ROLE_ENDPOINT_URL", aws_records.endpoint_url)
    submission = worker.submit(job(aws_records, aws_credentials="role"), RUN)
    assert describe(aws_records, submission)["lastStatus"] == "PROVISIONING"
