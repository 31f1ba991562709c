"""The REST API as typed methods: every route the worker, CLI, flows and engine use, spelled once.

Each method builds a :class:`~flowyard.client.call.Call` (route, pydantic body, answer model);
:class:`~flowyard.client.sync.FlowyardClient` returns the answer,
:class:`~flowyard.client.aio.AsyncFlowyardClient` a coroutine of it. Bodies are the models the
server validates (:mod:`flowyard.schemas`); only the fields set on them are sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, JsonValue

from flowyard.client.call import Call, segment
from flowyard.client.endpoint import endpoint
from flowyard.client.errors import (
    DeploymentNotFound,
    FlowRunNotFound,
    WorkerNotFound,
    WorkPoolNotFound,
    WorkQueueNotFound,
)
from flowyard.schemas import pools, runs, secrets
from flowyard.schemas.common import Health

M = TypeVar("M", bound=BaseModel)


def one(model: type[M]) -> Callable[[JsonValue], M]:
    """Parser of an answer that is one ``model``."""
    return model.model_validate


def many(model: type[M]) -> Callable[[JsonValue], list[M]]:
    """Parser of an answer that is a list of ``model``."""

    def parse(data: JsonValue) -> list[M]:
        if not isinstance(data, list):
            raise TypeError(f"expected a list of {model.__name__}, got {type(data).__name__}")
        return [model.model_validate(item) for item in data]

    return parse


def nothing(_: JsonValue) -> None:
    """Parser of an answer with no content (204)."""


def _pool(name: str) -> str:
    return f"/work_pools/{segment(name)}"


def _run(run_id: str) -> str:
    return f"/flow_runs/{segment(run_id)}"


def _deployment(deployment_id: str) -> str:
    return f"/deployments/{segment(deployment_id)}"


class Api:
    """The routes. Mixed into both clients; see :mod:`flowyard.client.endpoint`."""

    # ------------------------------------------------------------------ secrets

    @endpoint
    def create_secret(body: secrets.SecretCreate) -> Call[secrets.Secret]:
        """Store a secret (admins); the answer has no value."""
        return Call("POST", "/secrets", one(secrets.Secret), body)

    @endpoint
    def list_secrets() -> Call[list[secrets.Secret]]:
        """Every secret's name, kind and times."""
        return Call("GET", "/secrets", many(secrets.Secret))

    @endpoint
    def rotate_secret(name: str, body: secrets.SecretRotate) -> Call[secrets.Secret]:
        """Replace a secret's value (admins)."""
        return Call("PUT", f"/secrets/{segment(name)}", one(secrets.Secret), body)

    @endpoint
    def delete_secret(name: str) -> Call[None]:
        """Delete a secret (admins)."""
        return Call("DELETE", f"/secrets/{segment(name)}", nothing)

    @endpoint
    def pool_secret(pool: str, name: str) -> Call[secrets.SecretValue]:
        """A secret named by ``pool``'s base job template (its workers; admins)."""
        return Call("GET", f"{_pool(pool)}/secrets/{segment(name)}", one(secrets.SecretValue))

    # ------------------------------------------------------------------ work pools

    @endpoint
    def create_pool(body: pools.WorkPoolCreate) -> Call[pools.WorkPool]:
        """Create a work pool (and its ``default`` queue); ``ObjectAlreadyExists`` if taken."""
        return Call("POST", "/work_pools", one(pools.WorkPool), body)

    @endpoint
    def list_pools() -> Call[list[pools.WorkPool]]:
        """Every work pool."""
        return Call("GET", "/work_pools", many(pools.WorkPool))

    @endpoint
    def read_pool(name: str) -> Call[pools.WorkPool]:
        """One work pool; ``WorkPoolNotFound`` if there is none of that name."""
        return Call("GET", _pool(name), one(pools.WorkPool), not_found=WorkPoolNotFound)

    @endpoint
    def update_pool(name: str, body: pools.WorkPoolUpdate) -> Call[pools.WorkPool]:
        """Change the fields set on ``body``."""
        return Call("PATCH", _pool(name), one(pools.WorkPool), body, not_found=WorkPoolNotFound)

    @endpoint
    def delete_pool(name: str) -> Call[None]:
        """Delete a pool (``ConflictError`` while deployments use it)."""
        return Call("DELETE", _pool(name), nothing, not_found=WorkPoolNotFound)

    @endpoint
    def preview_pool(name: str, hours: float = 1.0) -> Call[list[runs.FlowRun]]:
        """Scheduled runs of the pool due within ``hours``."""
        return Call(
            "GET",
            f"{_pool(name)}/preview",
            many(runs.FlowRun),
            params={"hours": hours},
            not_found=WorkPoolNotFound,
        )

    # ------------------------------------------------------------------ work queues

    @endpoint
    def list_queues(pool: str) -> Call[list[pools.WorkQueue]]:
        """A pool's queues in priority order."""
        return Call(
            "GET", f"{_pool(pool)}/queues", many(pools.WorkQueue), not_found=WorkPoolNotFound
        )

    @endpoint
    def create_queue(pool: str, body: pools.WorkQueueCreate) -> Call[pools.WorkQueue]:
        """Create a queue in ``pool``."""
        return Call(
            "POST", f"{_pool(pool)}/queues", one(pools.WorkQueue), body, not_found=WorkPoolNotFound
        )

    @endpoint
    def read_queue(pool: str, name: str) -> Call[pools.WorkQueue]:
        """One queue of ``pool``."""
        return Call(
            "GET",
            f"{_pool(pool)}/queues/{segment(name)}",
            one(pools.WorkQueue),
            not_found=WorkQueueNotFound,
        )

    @endpoint
    def update_queue(pool: str, name: str, body: pools.WorkQueueUpdate) -> Call[pools.WorkQueue]:
        """Change the fields set on ``body``."""
        return Call(
            "PATCH",
            f"{_pool(pool)}/queues/{segment(name)}",
            one(pools.WorkQueue),
            body,
            not_found=WorkQueueNotFound,
        )

    @endpoint
    def delete_queue(pool: str, name: str) -> Call[None]:
        """Delete a queue (``ConflictError`` for the default queue)."""
        return Call(
            "DELETE",
            f"{_pool(pool)}/queues/{segment(name)}",
            nothing,
            not_found=WorkQueueNotFound,
        )

    # ------------------------------------------------------------------ workers and claims

    @endpoint
    def heartbeat(pool: str, body: pools.Heartbeat) -> Call[None]:
        """Record a worker's heartbeat and renew the leases of the runs it holds."""
        return Call(
            "POST", f"{_pool(pool)}/workers/heartbeat", nothing, body, not_found=WorkPoolNotFound
        )

    @endpoint
    def worker_stopped(pool: str, name: str) -> Call[None]:
        """Say worker ``name`` is leaving (stopped cleanly): it shows OFFLINE until it heartbeats."""
        return Call(
            "POST",
            f"{_pool(pool)}/workers/{segment(name)}/stopped",
            nothing,
            not_found=WorkerNotFound,
        )

    @endpoint
    def list_workers(pool: str) -> Call[list[pools.Worker]]:
        """A pool's workers, most recent heartbeat first."""
        return Call("GET", f"{_pool(pool)}/workers", many(pools.Worker), not_found=WorkPoolNotFound)

    @endpoint
    def claim(pool: str, body: runs.ClaimRequest) -> Call[runs.ClaimResponse]:
        """Claim due runs (long-poll with ``wait_seconds``); not retried: the worker backs off."""
        return Call("POST", f"{_pool(pool)}/claim", one(runs.ClaimResponse), body, retry=False)

    @endpoint
    def claim_served(body: runs.ServedClaimRequest) -> Call[runs.ClaimResponse]:
        """Claim runs of served (pool-less) deployments; not retried, like :meth:`claim`."""
        return Call("POST", "/deployments/claim", one(runs.ClaimResponse), body, retry=False)

    # ------------------------------------------------------------------ deployments

    @endpoint
    def list_deployments() -> Call[list[runs.Deployment]]:
        """Every deployment."""
        return Call("GET", "/deployments", many(runs.Deployment))

    @endpoint
    def create_deployment(body: runs.DeploymentCreate) -> Call[runs.Deployment]:
        """Create or update (by flow name + name) a deployment."""
        return Call("POST", "/deployments", one(runs.Deployment), body)

    @endpoint
    def read_deployment(deployment_id: str) -> Call[runs.Deployment]:
        """One deployment by id."""
        return Call(
            "GET", _deployment(deployment_id), one(runs.Deployment), not_found=DeploymentNotFound
        )

    @endpoint
    def read_deployment_by_name(flow_name: str, name: str) -> Call[runs.Deployment]:
        """One deployment by ``flow_name/name``."""
        path = f"/deployments/name/{segment(flow_name)}/{segment(name)}"
        return Call("GET", path, one(runs.Deployment), not_found=DeploymentNotFound)

    @endpoint
    def update_deployment(deployment_id: str, body: runs.DeploymentUpdate) -> Call[runs.Deployment]:
        """Pause/resume or change parameters/job variables."""
        return Call(
            "PATCH",
            _deployment(deployment_id),
            one(runs.Deployment),
            body,
            not_found=DeploymentNotFound,
        )

    @endpoint
    def delete_deployment(deployment_id: str) -> Call[None]:
        """Delete a deployment and its not-yet-started runs."""
        return Call("DELETE", _deployment(deployment_id), nothing, not_found=DeploymentNotFound)

    @endpoint
    def create_flow_run(deployment_id: str, body: runs.FlowRunCreate) -> Call[runs.FlowRun]:
        """Create a run of a deployment (job variables validated by the server)."""
        path = f"{_deployment(deployment_id)}/runs"
        return Call("POST", path, one(runs.FlowRun), body, not_found=DeploymentNotFound)

    @endpoint
    def create_flow_runs(
        deployment_id: str, body: runs.FlowRunBulkCreate
    ) -> Call[runs.FlowRunBulkCreated]:
        """Create up to 500 runs of a deployment in one transaction (all or none); the answer
        lists their ids in the order of ``body.runs``."""
        path = f"{_deployment(deployment_id)}/runs/bulk"
        return Call("POST", path, one(runs.FlowRunBulkCreated), body, not_found=DeploymentNotFound)

    # ------------------------------------------------------------------ flow runs

    @endpoint
    def create_local_flow_run(body: runs.LocalFlowRunCreate) -> Call[runs.FlowRun]:
        """Record a run of a flow called directly (no deployment), already RUNNING."""
        return Call("POST", "/flow_runs", one(runs.FlowRun), body)

    @endpoint
    def list_flow_runs(body: runs.FlowRunFilter) -> Call[list[runs.FlowRun]]:
        """Flow runs matching ``body``, newest first."""
        return Call("POST", "/flow_runs/filter", many(runs.FlowRun), body)

    @endpoint
    def read_flow_run(run_id: str) -> Call[runs.FlowRun]:
        """One flow run."""
        return Call("GET", _run(run_id), one(runs.FlowRun), not_found=FlowRunNotFound)

    @endpoint
    def read_flow_run_history(run_id: str) -> Call[list[runs.State]]:
        """A run's states, oldest first."""
        return Call("GET", f"{_run(run_id)}/history", many(runs.State), not_found=FlowRunNotFound)

    @endpoint
    def set_state(run_id: str, body: runs.SetState) -> Call[runs.SetStateResult]:
        """Propose a state; the answer says whether it was accepted (or to wait, or to abort)."""
        return Call(
            "POST",
            f"{_run(run_id)}/state",
            one(runs.SetStateResult),
            body,
            not_found=FlowRunNotFound,
            repeatable=True,
        )

    @endpoint
    def cancel_flow_run(run_id: str) -> Call[runs.SetStateResult]:
        """Cancel a run: CANCELLED at once if not started, else CANCELLING for its worker."""
        return Call(
            "POST", f"{_run(run_id)}/cancel", one(runs.SetStateResult), not_found=FlowRunNotFound
        )

    @endpoint
    def update_flow_run(run_id: str, body: runs.FlowRunUpdate) -> Call[None]:
        """Record what a worker knows about a run (its infrastructure id)."""
        return Call("PATCH", _run(run_id), nothing, body, not_found=FlowRunNotFound)

    # ------------------------------------------------------------------ logs and health

    @endpoint
    def write_logs(lines: list[runs.LogCreate]) -> Call[runs.LogsStored]:
        """Store log lines."""
        return Call("POST", "/logs", one(runs.LogsStored), lines)

    @endpoint
    def read_logs(run_id: str, after: int = 0, limit: int = 1000) -> Call[list[runs.LogLine]]:
        """A run's log lines after line id ``after``."""
        return Call(
            "GET",
            f"{_run(run_id)}/logs",
            many(runs.LogLine),
            params={"after": after, "limit": limit},
            not_found=FlowRunNotFound,
        )

    @endpoint
    def health() -> Call[Health]:
        """The server's liveness and version."""
        return Call("GET", "/health", one(Health))
