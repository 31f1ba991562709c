"""The azure-container-instance type passes flowyard's worker-type conformance kit against the fake.

The worker (a real `flowyard worker start`) and the in-process hooks find the fake through the
worker variables the type falls back to (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP,
AZURE_RESOURCE_MANAGER_ENDPOINT) and get their token from DefaultAzureCredential (the fake's
managed-identity endpoint). Containers run an image with this checkout's flowyard inside (built
locally, no registry) in the host network, so they reach the loopback server.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

conformance = pytest.importorskip("flowyard.testing.conformance")

from aci_env import RESOURCE_GROUP, SUBSCRIPTION, flowyard_image  # noqa: E402
from flowyard_azure.job import AzureContainerInstanceJob  # noqa: E402
from flowyard_fakes.azure_aci import AciFake  # noqa: E402

pytestmark = pytest.mark.docker


@functools.cache
def _image() -> str:
    return flowyard_image()


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AciFake]:
    with AciFake(tmp_path_factory.mktemp("tls")) as started:
        yield started


class TestAzureContainerInstanceConformance(conformance.WorkerTypeConformance):  # type: ignore[misc,name-defined]
    worker_type = "azure-container-instance"
    job_model = AzureContainerInstanceJob
    unknown_infrastructure_id = f"{RESOURCE_GROUP}:flowyard-conformance-no-such-group"

    @pytest.fixture(autouse=True)
    def _azure(self, fake: AciFake, monkeypatch: pytest.MonkeyPatch) -> None:
        """The worker and the in-process hooks both find the fake through the environment."""
        self.fake = fake
        env = {
            **fake.identity_env(),
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "AZURE_RESOURCE_GROUP": RESOURCE_GROUP,
            "AZURE_RESOURCE_MANAGER_ENDPOINT": fake.url,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    def job_variables(self) -> dict[str, Any]:
        """The locally built flowyard image (the fake never pulls); a quick poll."""
        return {"image": _image(), "task_watch_poll_interval": 0.5}

    def override_values(self) -> dict[str, Any]:
        """Values the kit cannot derive from the schema (nested objects, an https endpoint)."""
        return {
            "credentials": {"tenant_id": "t-1", "client_id": "c-1"},
            "image_registry": {
                "server": "reg.example.azurecr.io",
                "identity": "/subscriptions/s/resourceGroups/r/providers/"
                "Microsoft.ManagedIdentity/userAssignedIdentities/pull",
            },
            "arm_endpoint": "https://management.usgovcloudapi.net",
        }

    def inspect_infrastructure(self, infrastructure_id: str) -> Any:
        """The group's tags (the run's labels), its container's env and whether it still runs."""
        _, _, name = infrastructure_id.partition(":")
        sent = self.fake.stored_body(name)
        views = [g for g in self.fake.groups() if g["name"] == name]
        if sent is None or not views:
            return conformance.InfrastructureView(running=False)
        container = sent["properties"]["containers"][0]["properties"]
        env = {
            e["name"]: str(e.get("value", e.get("secureValue", "")))
            for e in container.get("environmentVariables") or []
        }
        state = views[0]["properties"]["containers"][0]["properties"]["instanceView"]
        running = state["currentState"]["state"] in ("Waiting", "Running")
        return conformance.InfrastructureView(
            running=running, labels=dict(sent.get("tags") or {}), env=env
        )
