"""The kubernetes worker type passes flowyard's worker-type conformance kit against the emulator.

The worker (a real `flowyard worker start`) reaches the emulator through ``KUBECONFIG``; pods run
an image with this checkout's flowyard inside (built locally, no registry) in the host network, so
they reach the loopback server. Skipped where the kit (``flowyard.testing.conformance``) is absent.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

conformance = pytest.importorskip("flowyard.testing.conformance")

from flowyard_fakes.kubernetes import KubernetesEmulator  # noqa: E402
from flowyard_kubernetes.job import KubernetesJob  # noqa: E402
from kube_env import flowyard_image  # noqa: E402

pytestmark = pytest.mark.docker


@functools.cache
def _image() -> str:
    return flowyard_image()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KubernetesEmulator, Path]]:
    with KubernetesEmulator(host_network=True) as fake:
        config = fake.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
        yield fake, config


class TestKubernetesConformance(conformance.WorkerTypeConformance):  # type: ignore[misc,name-defined]
    worker_type = "kubernetes"
    job_model = KubernetesJob
    unknown_infrastructure_id = "default:flowyard-conformance-no-such-job"

    @pytest.fixture(autouse=True)
    def _cluster(
        self, emulator: tuple[KubernetesEmulator, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The worker and the in-process hooks both find the emulator through KUBECONFIG."""
        self.fake, config = emulator
        monkeypatch.setenv("KUBECONFIG", str(config))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)

    def job_variables(self) -> dict[str, Any]:
        """The locally built flowyard image (the emulator never pulls)."""
        return {"image": _image(), "image_pull_policy": "Never"}

    def inspect_infrastructure(self, infrastructure_id: str) -> Any:
        """The Job's pod: its labels (``flowyard.io/x`` read as the core's ``flowyard.x``) and env."""
        namespace, _, job = infrastructure_id.partition(":")
        pods = self.fake.pods(namespace, f"job-name={job}")
        if not pods:
            return conformance.InfrastructureView(running=False)
        pod = pods[-1]
        labels = dict(pod["metadata"].get("labels") or {})
        labels.update(
            {
                "flowyard." + key.removeprefix("flowyard.io/"): value
                for key, value in labels.items()
                if key.startswith("flowyard.io/")
            }
        )
        container = pod["spec"]["containers"][0]
        env = {e["name"]: e.get("value", "") for e in container.get("env") or []}
        return conformance.InfrastructureView(
            running=pod["status"].get("phase") in ("Pending", "Running"), labels=labels, env=env
        )
