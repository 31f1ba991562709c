"""Shared test set-up: the ACI fake, rendered configurations, the local images."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flowyard.job import FlowRunInfo, base_job_template
from flowyard.testing.rendering import rendered_configuration, sample_flow_run
from flowyard_azure.variables import AzureContainerInstanceVariables
from flowyard_fakes import images
from flowyard_fakes.azure_aci import AciFake

ROOT = images.checkout_root()
BASE_IMAGE = images.BASE_IMAGE
docker_or_skip = images.base_image_or_skip  # (the names the type's other tests import)
flowyard_image = images.flowyard_image_or_skip
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
RESOURCE_GROUP = "flows-rg"


def flow_run(name: str = "brave-otter") -> FlowRunInfo:
    """A flow run as the worker describes it to the hooks."""
    return sample_flow_run("aci", name)


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
    extra_env = {"FLOWYARD_API_KEY": "sk-very-secret"}
    return rendered_configuration(template, run or flow_run(), variables, extra_env)


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
