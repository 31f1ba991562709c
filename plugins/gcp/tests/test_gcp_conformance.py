"""cloud-run and vertex-ai pass flowyard's worker-type conformance kit against the fakes.

The worker (a real `flowyard worker start`) reaches each fake through the ``api_endpoint`` and
anonymous ``credentials`` job variables; the fakes run an image with this checkout's flowyard
inside (built locally, no registry) in the host network, so flows reach the loopback server.
Skipped where the kit (``flowyard.testing.conformance``) is absent. The kit's unknown-id check
uses its default id (not a resource name): with the template's defaults ``kill`` would need
application default credentials to ask the real API about a well-formed name.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

conformance = pytest.importorskip("flowyard.testing.conformance")

from flowyard_fakes.cloud_run import CloudRunFake  # noqa: E402
from flowyard_fakes.vertex import VertexFake  # noqa: E402
from flowyard_gcp.cloud_run_job import CloudRunJob  # noqa: E402
from flowyard_gcp.vertex_job import VertexJob  # noqa: E402
from gcp_env import ANONYMOUS, flowyard_image  # noqa: E402

pytestmark = pytest.mark.docker


@functools.cache
def _image() -> str:
    return flowyard_image()


def _labels(raw: dict[str, str]) -> dict[str, str]:
    """GCP labels as the core names them: ``flowyard-x`` is also shown as ``flowyard.x``."""
    labels = dict(raw)
    labels.update(
        {
            "flowyard." + k[len("flowyard-") :]: v
            for k, v in raw.items()
            if k.startswith("flowyard-")
        }
    )
    return labels


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env") or []}


@pytest.fixture(scope="module")
def cloud_run() -> Iterator[CloudRunFake]:
    with CloudRunFake() as fake:
        yield fake


@pytest.fixture(scope="module")
def vertex() -> Iterator[VertexFake]:
    with VertexFake() as fake:
        yield fake


class TestCloudRunConformance(conformance.WorkerTypeConformance):  # type: ignore[misc,name-defined]
    worker_type = "cloud-run"
    job_model = CloudRunJob

    @pytest.fixture(autouse=True)
    def _fake(self, cloud_run: CloudRunFake) -> None:
        self.fake = cloud_run

    def job_variables(self) -> dict[str, Any]:
        return {
            "image": _image(),
            "api_endpoint": self.fake.endpoint,
            "credentials": ANONYMOUS,
            "poll_interval_seconds": 0.5,
        }

    def override_values(self) -> dict[str, Any]:
        return {
            "credentials": ANONYMOUS,
            "api_endpoint": self.fake.endpoint,
            "cpu": "2",
            "memory": "1Gi",
        }

    def inspect_infrastructure(self, infrastructure_id: str) -> Any:
        """The job's latest execution: the job's labels, the container's env, running or not."""
        jobs = [j for j in self.fake.jobs() if j["name"] == infrastructure_id]
        if not jobs:
            return conformance.InfrastructureView(running=False)
        job = jobs[0]
        executions = [
            e for e in self.fake.executions() if e["name"].startswith(infrastructure_id + "/")
        ]
        running = any("completionTime" not in e for e in executions)
        container = job["template"]["template"]["containers"][0]
        return conformance.InfrastructureView(
            running=running, labels=_labels(job.get("labels") or {}), env=_env(container)
        )


class TestVertexConformance(conformance.WorkerTypeConformance):  # type: ignore[misc,name-defined]
    worker_type = "vertex-ai"
    job_model = VertexJob

    @pytest.fixture(autouse=True)
    def _fake(self, vertex: VertexFake) -> None:
        self.fake = vertex

    def job_variables(self) -> dict[str, Any]:
        return {
            "image": _image(),
            "api_endpoint": self.fake.endpoint,
            "credentials": ANONYMOUS,
            "poll_interval_seconds": 0.5,
        }

    def override_values(self) -> dict[str, Any]:
        return {"credentials": ANONYMOUS, "api_endpoint": self.fake.endpoint}

    def inspect_infrastructure(self, infrastructure_id: str) -> Any:
        """The custom job: its labels, the container's env, whether it has not ended yet."""
        jobs = [j for j in self.fake.jobs() if j["name"] == infrastructure_id]
        if not jobs:
            return conformance.InfrastructureView(running=False)
        job = jobs[0]
        container = job["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]
        running = job["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING")
        return conformance.InfrastructureView(
            running=running, labels=_labels(job.get("labels") or {}), env=_env(container)
        )
