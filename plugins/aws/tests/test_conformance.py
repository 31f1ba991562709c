"""The ecs worker type passes flowyard's worker-type conformance kit.

AWS is moto in server mode and each task's container runs on the real Docker engine through the
flowyard_fakes.ecs agent (see its docstring for what moto does not model). The worker reaches the
fake through boto3's default chain (``AWS_ENDPOINT_URL`` and test keys in its environment).
"""

from __future__ import annotations

from typing import Any

import pytest
from flowyard.testing.conformance import InfrastructureView, WorkerTypeConformance
from flowyard_aws.job import EcsJob, parse_infrastructure_id
from flowyard_fakes.ecs import FakeAws

pytestmark = pytest.mark.docker


class TestEcsConformance(WorkerTypeConformance):
    worker_type = "ecs"
    job_model = EcsJob
    not_supported = {}

    @pytest.fixture(autouse=True)
    def _aws(self, aws: FakeAws, monkeypatch: pytest.MonkeyPatch) -> None:
        """The fake with its agent; the worker (and in-process hooks) use it by environment."""
        for key, value in aws.env().items():
            monkeypatch.setenv(key, value)
        self.aws = aws

    @pytest.fixture(autouse=True)
    def _image(self, flowyard_image: str) -> None:
        self.image = flowyard_image

    def job_variables(self) -> dict[str, Any]:
        """The locally built flowyard image (never pulled), watched every 0.3 s."""
        return {"image": self.image, "task_watch_poll_interval": 0.3}

    def override_values(self) -> dict[str, Any]:
        """``aws_credentials`` names credentials: letters, digits, ``_`` and ``-`` only."""
        return {"aws_credentials": "conformance"}

    def inspect_infrastructure(self, infrastructure_id: str) -> InfrastructureView:
        """The task's tags (labels), its container override's env, and whether it has stopped."""
        parsed = parse_infrastructure_id(infrastructure_id)
        assert parsed is not None, infrastructure_id
        tasks = self.aws.client("ecs").describe_tasks(
            cluster=parsed[0], tasks=[parsed[1]], include=["TAGS"]
        )["tasks"]
        if not tasks:
            return InfrastructureView(running=False)
        task = tasks[0]
        overrides = task.get("overrides", {}).get("containerOverrides", [])
        env = {e["name"]: e["value"] for o in overrides for e in o.get("environment", [])}
        return InfrastructureView(
            running=task["lastStatus"] != "STOPPED",
            labels={t["key"]: t["value"] for t in task.get("tags", [])},
            env=env,
        )
