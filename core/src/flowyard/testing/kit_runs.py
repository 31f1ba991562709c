"""The conformance kit's view of a live server: a pool, a probe deployment, runs and their states."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from flowyard.testing.probe import ENTRYPOINT, FLOW_NAME

FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})


@dataclass
class ProbeDeployment:
    """The probe flow deployed to one pool, with the job variables the type's test class gave."""

    http: httpx.Client
    deployment_id: str

    @classmethod
    def create(
        cls, http: httpx.Client, pool: str, job_variables: dict[str, Any]
    ) -> ProbeDeployment:
        """Register the probe deployment in ``pool`` (which must exist)."""
        response = http.post(
            "/deployments",
            json={
                "flow_name": FLOW_NAME,
                "name": "conformance",
                "work_pool_name": pool,
                "entrypoint": ENTRYPOINT,
                "job_variables": job_variables,
            },
        )
        assert response.status_code == 200, f"creating the probe deployment: {response.text}"
        return cls(http, str(response.json()["id"]))

    def run(
        self, parameters: dict[str, Any] | None = None, job_variables: dict[str, Any] | None = None
    ) -> str:
        """Create a flow run of the probe; returns its id."""
        response = self.http.post(
            f"/deployments/{self.deployment_id}/runs",
            json={"parameters": parameters or {}, "job_variables": job_variables or {}},
        )
        assert response.status_code == 201, f"creating a probe run: {response.text}"
        return str(response.json()["id"])

    def read(self, run_id: str) -> dict[str, Any]:
        """The run as the API shows it (``state_type``, ``state_message``, ``infrastructure_id``)."""
        run: dict[str, Any] = self.http.get(f"/flow_runs/{run_id}").json()
        return run

    def wait_for(self, run_id: str, states: frozenset[str], timeout: float) -> dict[str, Any]:
        """Poll until the run's state type is one of ``states``; fail with its last state."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.read(run_id)
            if run["state_type"] in states:
                return run
            if run["state_type"] in FINAL_STATES or time.monotonic() > deadline:
                raise AssertionError(
                    f"flow run {run_id} is {run['state_type']} ({run.get('state_message')!r}), "
                    f"expected one of {sorted(states)} within {timeout:.0f} s"
                )
            time.sleep(0.2)

    def wait_for_log(self, run_id: str, text: str, timeout: float) -> None:
        """Poll the run's logs until a line contains ``text``."""
        deadline = time.monotonic() + timeout
        while text not in self.logs(run_id):
            assert time.monotonic() < deadline, f"flow run {run_id} never logged {text!r}"
            time.sleep(0.2)

    def logs(self, run_id: str) -> str:
        """Every stored log message of the run, one per line."""
        lines = self.http.get(f"/flow_runs/{run_id}/logs").json()
        return "\n".join(str(line["message"]) for line in lines)

    def cancel(self, run_id: str) -> None:
        """Ask for cancellation (the run moves to CANCELLING; its worker calls ``kill``)."""
        response = self.http.post(f"/flow_runs/{run_id}/cancel")
        assert response.status_code == 200, f"cancelling {run_id}: {response.text}"
