"""What the worker needs from the API: the async client's methods it calls, as a protocol.

:class:`~flowyard.client.aio.AsyncFlowyardClient` satisfies it; tests pass an in-memory fake.
"""

from __future__ import annotations

from typing import Protocol

from flowyard.schemas.pools import Heartbeat, WorkPool, WorkPoolCreate, WorkQueue
from flowyard.schemas.runs import (
    ClaimRequest,
    ClaimResponse,
    Deployment,
    FlowRun,
    FlowRunFilter,
    FlowRunUpdate,
    LogCreate,
    LogsStored,
    ServedClaimRequest,
    SetState,
    SetStateResult,
)
from flowyard.schemas.secrets import SecretValue


class WorkerApi(Protocol):
    """The API calls of the worker runtime (``flowyard.worker``)."""

    api_url: str
    api_key: str | None

    async def read_pool(self, name: str) -> WorkPool:
        """The pool; ``WorkPoolNotFound`` when missing."""
        ...

    async def create_pool(self, body: WorkPoolCreate) -> WorkPool:
        """Create a pool (``worker start --type`` for a missing pool)."""
        ...

    async def list_queues(self, pool: str) -> list[WorkQueue]:
        """The pool's queues (to check ``--work-queue`` names)."""
        ...

    async def heartbeat(self, pool: str, body: Heartbeat) -> None:
        """Say the worker is alive; renews the leases of held runs."""
        ...

    async def worker_stopped(self, pool: str, name: str) -> None:
        """Say the worker is leaving, so it shows OFFLINE at once."""
        ...

    async def claim(self, pool: str, body: ClaimRequest) -> ClaimResponse:
        """Claim due runs of the pool, long-polling; reports held runs being cancelled."""
        ...

    async def claim_served(self, body: ServedClaimRequest) -> ClaimResponse:
        """The same for served (pool-less) deployments."""
        ...

    async def pool_secret(self, pool: str, name: str) -> SecretValue:
        """A secret named by the pool's template (``{{ secret('name') }}``)."""
        ...

    async def read_flow_run(self, run_id: str) -> FlowRun:
        """A run (to see whether it reached a final state on its own)."""
        ...

    async def list_flow_runs(self, body: FlowRunFilter) -> list[FlowRun]:
        """Runs matching a filter (at start: the runs this worker's name still holds)."""
        ...

    async def read_deployment(self, deployment_id: str) -> Deployment:
        """A deployment (its job variables, to render an adopted run again)."""
        ...

    async def set_state(self, run_id: str, body: SetState) -> SetStateResult:
        """Propose a state (CRASHED, CANCELLED, SCHEDULED to hand back)."""
        ...

    async def update_flow_run(self, run_id: str, body: FlowRunUpdate) -> None:
        """Record the run's infrastructure id."""
        ...

    async def write_logs(self, lines: list[LogCreate]) -> LogsStored:
        """Write lines into runs' logs (why the worker crashed a run)."""
        ...
