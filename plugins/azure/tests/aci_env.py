"""Shared test set-up: the ACI fake, rendered configurations, the local images."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flowyard.job import FlowRunInfo, base_job_template
from flowyard.templating import build_job_configuration, merge_job_variables
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes.azure_aci import AciFake

ROOT = Path(__file__).resolve().parents[3]
BASE_IMAGE = "flowyard-python-base:bookworm"
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
RESOURCE_GROUP = "flows-rg"


def docker_or_skip() -> None:
    """Skip when FLOWYARD_SKIP_DOCKER is set; build the local base image (cached by tag)."""
    if os.environ.get("FLOWYARD_SKIP_DOCKER"):
        pytest.skip("FLOWYARD_SKIP_DOCKER is set")
    subprocess.run(
        [str(ROOT / "scripts" / "build-python-base-image")], check=True, capture_output=True
    )


def flowyard_image() -> str:
    """The tag of an image with this checkout's flowyard installed (built once per source hash)."""
    docker_or_skip()
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-flowyard-image")], check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def flow_run(name: str = "brave-otter") -> FlowRunInfo:
    """A flow run as the worker describes it to the hooks."""
    return FlowRunInfo(
        id=str(uuid.uuid4()),
        name=name,
        flow_name="tutorial",
        deployment_name="dev",
        work_pool_name="aci",
        worker_name="worker-1",
        claim_id=str(uuid.uuid4()),
        api_url="http://127.0.0.1:4200/api",
    )


def pool_variables(fake: AciFake) -> dict[str, Any]:
    """What every test pool sets: where the fake is, the subscription and resource group."""
    return {
        "arm_endpoint": fake.url,
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": RESOURCE_GROUP,
        "task_watch_poll_interval": 0.5,
    }


def configuration(run: FlowRunInfo | None = None, **variables: Any) -> dict[str, Any]:
    """The rendered job configuration the worker would pass to ``render`` (with flowyard's env)."""
    template = base_job_template(AzureContainerInstanceVariables)
    values = merge_job_variables(template, variables)
    config = build_job_configuration(template, values)
    run = run or flow_run()
    env = dict(config.get("env") or {})
    env.update(
        {
            "FLOWYARD_API_URL": run.api_url or "",
            "FLOWYARD_FLOW_RUN_ID": run.id,
            "FLOWYARD_API_KEY": "sk-very-secret",
        }
    )
    config["env"] = env
    labels = dict(config.get("labels") or {})
    labels.update({"flowyard.flow-run-id": run.id, "flowyard.flow-name": run.flow_name or ""})
    config["labels"] = labels
    return config


@pytest.fixture
def aci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AciFake]:
    """The fake, with DefaultAzureCredential (managed identity) and the CA bundle pointed at it."""
    docker_or_skip()
    with AciFake(tmp_path / "tls") as fake:
        for name, value in fake.identity_env().items():
            monkeypatch.setenv(name, value)
        for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"):
            monkeypatch.delenv(name, raising=False)
        yield fake
