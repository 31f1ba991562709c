"""An in-memory flowyard API for worker unit tests.

:class:`FakeApi` implements :class:`flowyard.worker.api.WorkerApi` (the async client's methods the
worker calls) and really keeps state: pools, queues, flow runs with their state history, claims
and who holds each run. Claims long-poll like the server's: they return when a run is claimed,
a held run is being cancelled, or ``wait_seconds`` pass. Tests play the other actors through
its helpers: ``schedule`` (a deployment run), ``report`` (the engine setting a state), ``cancel``
(a user cancelling), ``submitted_by`` (a run a worker had submitted before it restarted),
``add_deployment`` (a deployment's job variables).

What it does not model: deployments beyond their job variables, lease expiry, pool/queue concurrency limits and queue
priorities (the server's claim is tested in ``core/tests/server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Callable

from flowyard.client.errors import (
    DeploymentNotFound,
    FlowRunNotFound,
    WorkerNotFound,
    WorkPoolNotFound,
)
from flowyard.schemas import pools as p
from flowyard.schemas import runs as r
from flowyard.schemas.common import TERMINAL_STATES, PoolStatus, StateType, utcnow
from flowyard.schemas.secrets import SecretValue


class FakeApi:
    """Pools, queues, runs, states and claims in memory, behind the worker's client interface."""

    api_url = "http://fake-api.invalid/api"
    api_key: str | None = None

    def __init__(self) -> None:
        self.pools: dict[str, p.WorkPool] = {}
        self.queues: dict[str, list[p.WorkQueue]] = {}
        self.runs: dict[str, r.FlowRun] = {}
        self.history: dict[str, list[tuple[StateType, str | None]]] = {}
        self.holder: dict[str, str] = {}
        """run id -> name of the worker whose claim holds it."""
        self.claims: list[r.ClaimRequest] = []
        self.heartbeats: list[p.Heartbeat] = []
        self.infrastructure: dict[str, str] = {}
        self.logs: dict[str, list[r.LogCreate]] = {}
        """run id -> the lines written into its logs (by the worker: why it crashed the run)."""
        self.stopped: list[tuple[str, str]] = []
        """(pool, worker name) of each worker that said it is leaving."""
        self.deployments: dict[str, r.Deployment] = {}
        self.reads: list[str] = []
        """Ids of the runs the worker read (``read_flow_run``), in order."""
        self.failures = 0
        """The next ``failures`` claims fail as if the server could not be reached."""
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ test helpers

    def add_pool(self, name: str, worker_type: str, queues: tuple[str, ...] = ()) -> p.WorkPool:
        """A pool with a ``default`` queue (and ``queues``) and the type's default template."""
        from flowyard.worker_types import default_base_job_template

        now = utcnow()
        pool = p.WorkPool(
            id=f"pool-{name}",
            name=name,
            type=worker_type,
            description="",
            base_job_template=default_base_job_template(worker_type),
            is_paused=False,
            concurrency_limit=None,
            status=PoolStatus.READY,
            default_queue_id=f"queue-{name}-default",
            created=now,
            updated=now,
        )
        self.pools[name] = pool
        self.queues[name] = [
            p.WorkQueue(
                id=f"queue-{name}-{queue}",
                pool_id=pool.id,
                pool_name=name,
                name=queue,
                description="",
                priority=priority,
                concurrency_limit=None,
                is_paused=False,
                status=PoolStatus.READY,
                last_polled=None,
            )
            for priority, queue in enumerate(("default", *queues), start=1)
        ]
        return pool

    def schedule(self, pool: str, queue: str = "default", **job_variables: object) -> r.FlowRun:
        """A SCHEDULED run due now in ``pool``/``queue``, as a deployment run would be."""
        number = len(self.runs) + 1
        now = utcnow()
        nothing_yet = ("state_message", "start_time", "end_time", "infrastructure_id")
        run = r.FlowRun.model_validate(
            dict.fromkeys((*nothing_yet, "worker_name", "claim_id"))
            | {"id": f"run-{number}", "name": f"run-number-{number}", "flow_id": "flow-1"}
            | {"flow_name": "tiny-flow", "deployment_id": "deployment-1", "deployment_name": "tiny"}
            | {"work_pool_name": pool, "work_queue_name": queue, "scheduled_time": now}
            | {"parameters": {}, "job_variables": dict(job_variables), "tags": [], "labels": {}}
            | {"state_type": StateType.SCHEDULED, "state_name": "Scheduled", "created": now}
        )
        self.runs[run.id] = run
        self.history[run.id] = [(StateType.SCHEDULED, None)]
        self._changed.set()
        return run

    def add_deployment(self, deployment_id: str, **job_variables: object) -> r.Deployment:
        """A deployment whose runs get ``job_variables`` (runs of ``schedule`` use ``deployment-1``)."""
        now = utcnow()
        deployment = r.Deployment.model_validate(
            {"id": deployment_id, "name": "tiny", "flow_id": "flow-1", "flow_name": "tiny-flow"}
            | {"work_pool_name": None, "work_queue_name": None, "entrypoint": None, "path": None}
            | {"parameters": {}, "job_variables": dict(job_variables), "tags": []}
            | {"description": "", "paused": False, "schedules": [], "created": now, "updated": now}
        )
        self.deployments[deployment_id] = deployment
        return deployment

    def submitted_by(
        self,
        worker: str,
        pool: str = "mem",
        state: StateType = StateType.RUNNING,
        **job_variables: object,
    ) -> r.FlowRun:
        """A run that worker ``worker`` claimed and submitted (infrastructure ``mem-<run id>``),
        now in ``state``: what a worker killed mid-run leaves behind."""
        run = self.schedule(pool, **job_variables)
        self._take(run, worker, pool)
        self.infrastructure[run.id] = f"mem-{run.id}"
        self.runs[run.id] = self.runs[run.id].model_copy(
            update={"infrastructure_id": f"mem-{run.id}"}
        )
        if state is not StateType.PENDING:
            self._move(run.id, state, None)
        return self.runs[run.id]

    def state(self, run_id: str) -> StateType:
        """The run's current state type."""
        return self.runs[run_id].state_type

    def report(self, run_id: str, state: StateType, message: str | None = None) -> None:
        """What the flow-run engine does: set the run's state itself."""
        self._move(run_id, state, message)

    def cancel(self, run_id: str) -> None:
        """What ``flowyard flow-run cancel`` does: CANCELLED if not yet claimed, else CANCELLING."""
        claimed = self.state(run_id) in (StateType.PENDING, StateType.RUNNING)
        self._move(run_id, StateType.CANCELLING if claimed else StateType.CANCELLED, None)

    def _move(self, run_id: str, state: StateType, message: str | None) -> None:
        run = self.runs[run_id]
        update: dict[str, object] = {
            "state_type": state,
            "state_name": state.value.title(),
            "state_message": message,
        }
        if state is StateType.SCHEDULED:  # handed back: no longer anyone's
            update |= {"claim_id": None, "worker_name": None}
            self.holder.pop(run_id, None)
        self.runs[run_id] = run.model_copy(update=update)
        self.history[run_id].append((state, message))
        self._changed.set()

    # ------------------------------------------------------------------ the WorkerApi

    async def read_pool(self, name: str) -> p.WorkPool:
        """The pool, or ``WorkPoolNotFound`` as the server answers."""
        if name not in self.pools:
            raise WorkPoolNotFound(404, f'Work pool "{name}" not found.')
        return self.pools[name]

    async def create_pool(self, body: p.WorkPoolCreate) -> p.WorkPool:
        """Create a pool of ``body.type`` with its default queue."""
        pool = self.add_pool(body.name, body.type)
        if body.base_job_template is not None:
            pool = pool.model_copy(update={"base_job_template": body.base_job_template})
            self.pools[body.name] = pool
        return pool

    async def list_queues(self, pool: str) -> list[p.WorkQueue]:
        """The pool's queues in priority order."""
        await self.read_pool(pool)
        return list(self.queues[pool])

    async def heartbeat(self, pool: str, body: p.Heartbeat) -> None:
        """Record the heartbeat."""
        await self.read_pool(pool)
        self.heartbeats.append(body)

    async def worker_stopped(self, pool: str, name: str) -> None:
        """Record that worker ``name`` left; ``WorkerNotFound`` if it never heartbeated."""
        await self.read_pool(pool)
        if not any(beat.name == name for beat in self.heartbeats):
            raise WorkerNotFound(404, f"Worker '{name}' not found in pool '{pool}'.")
        self.stopped.append((pool, name))

    async def claim(self, pool: str, body: r.ClaimRequest) -> r.ClaimResponse:
        """Claim up to ``body.limit`` due runs of the pool's selected queues, long-polling."""
        self.claims.append(body)
        if self.failures:
            self.failures -= 1
            from flowyard.client.errors import ServerUnreachable

            raise ServerUnreachable("Cannot reach the flowyard server (fake outage)")
        await self.read_pool(pool)
        return await self._long_poll(lambda: self._claim_once(pool, body), body.wait_seconds)

    async def claim_served(self, body: r.ServedClaimRequest) -> r.ClaimResponse:
        """Served deployments are not modelled."""
        raise NotImplementedError("FakeApi does not model served deployments")

    async def pool_secret(self, pool: str, name: str) -> SecretValue:
        """No secrets in memory: templates under test name none."""
        raise LookupError(f"the fake API holds no secret {name!r} (pool {pool!r})")

    async def read_flow_run(self, run_id: str) -> r.FlowRun:
        """The run, or ``FlowRunNotFound`` (each read is counted in ``reads``)."""
        self.reads.append(run_id)
        return self._run(run_id)

    def _run(self, run_id: str) -> r.FlowRun:
        if run_id not in self.runs:
            raise FlowRunNotFound(404, f"Flow run '{run_id}' not found.")
        return self.runs[run_id]

    async def list_flow_runs(self, body: r.FlowRunFilter) -> list[r.FlowRun]:
        """Runs matching the filter's pool, worker name and states (newest first, paged)."""
        found = [
            run
            for run in reversed(self.runs.values())
            if (body.work_pool_name is None or run.work_pool_name == body.work_pool_name)
            and (body.worker_name is None or run.worker_name == body.worker_name)
            and (body.state_types is None or run.state_type in body.state_types)
        ]
        return found[body.offset : body.offset + body.limit]

    async def read_deployment(self, deployment_id: str) -> r.Deployment:
        """A deployment added with ``add_deployment``, or ``DeploymentNotFound``."""
        if deployment_id not in self.deployments:
            raise DeploymentNotFound(404, f"Deployment '{deployment_id}' not found.")
        return self.deployments[deployment_id]

    async def set_state(self, run_id: str, body: r.SetState) -> r.SetStateResult:
        """Accept the state unless the claim is stale (ABORT) or the run already ended (REJECT)."""
        run = self._run(run_id)
        if body.claim_id is not None and body.claim_id != run.claim_id:
            return self._result("ABORT", run, "The claim is no longer valid.")
        if run.state_type in TERMINAL_STATES and not body.force:
            return self._result("REJECT", run, "The run is already final.")
        self._move(run_id, body.type, body.message)
        return self._result("ACCEPT", self.runs[run_id], None)

    async def update_flow_run(self, run_id: str, body: r.FlowRunUpdate) -> None:
        """Record the infrastructure id."""
        run = self._run(run_id)
        if body.infrastructure_id is not None:
            self.infrastructure[run_id] = body.infrastructure_id
            self.runs[run_id] = run.model_copy(update={"infrastructure_id": body.infrastructure_id})

    async def write_logs(self, lines: list[r.LogCreate]) -> r.LogsStored:
        """Keep each line under its run; ``FlowRunNotFound`` for a run that does not exist."""
        for line in lines:
            self._run(line.flow_run_id)
        for line in lines:
            self.logs.setdefault(line.flow_run_id, []).append(line)
        return r.LogsStored(stored=len(lines))

    # ------------------------------------------------------------------ claims

    @staticmethod
    def _result(status: str, run: r.FlowRun, reason: str | None) -> r.SetStateResult:
        return r.SetStateResult.model_validate(
            {
                "status": status,
                "state_type": run.state_type,
                "state_name": run.state_name,
                "reason": reason,
            }
        )

    async def _long_poll(
        self, attempt: Callable[[], r.ClaimResponse], wait_seconds: float
    ) -> r.ClaimResponse:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            response = attempt()
            remaining = deadline - loop.time()
            if response.runs or response.cancelling or response.lost or remaining <= 0:
                return response
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _claim_once(self, pool: str, body: r.ClaimRequest) -> r.ClaimResponse:
        queues = body.work_queue_names
        cancelling: list[str] = []
        lost: list[str] = []
        for run_id in body.held_run_ids:
            if self.holder.get(run_id) != body.worker_name:
                lost.append(run_id)
            elif self.state(run_id) is StateType.CANCELLING:
                cancelling.append(run_id)
        horizon = utcnow() + dt.timedelta(seconds=body.prefetch_seconds)
        due = [
            run
            for run in self.runs.values()
            if run.work_pool_name == pool
            and run.state_type is StateType.SCHEDULED
            and (not queues or run.work_queue_name in queues)
            and run.scheduled_time <= horizon
        ]
        claimed = [self._take(run, body.worker_name, pool) for run in due[: body.limit]]
        return r.ClaimResponse(runs=claimed, cancelling=cancelling, lost=lost)

    def _take(self, run: r.FlowRun, worker: str, pool: str) -> r.ClaimedRun:
        claim_id = uuid.uuid4().hex
        self.holder[run.id] = worker
        self._move(run.id, StateType.PENDING, None)
        taken = self.runs[run.id].model_copy(update={"claim_id": claim_id, "worker_name": worker})
        self.runs[run.id] = taken
        return r.ClaimedRun(
            flow_run=taken,
            claim_id=claim_id,
            lease_expires=utcnow() + dt.timedelta(seconds=300),
            deployment=self.deployments.get(run.deployment_id or ""),
            base_job_template=self.pools[pool].base_job_template,
        )
