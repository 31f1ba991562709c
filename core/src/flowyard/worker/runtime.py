"""The worker: heartbeats, long-poll claims, render + submit in threads, cancellation, shutdown.

One asyncio loop runs three things: the heartbeat loop, the claim loop and (optionally) the
healthcheck endpoint. Each claimed run gets its own task that renders, submits and observes it
through the worker type's hooks (in threads, since hooks block). Slots are released in that
task's ``finally``. Transient API failures are logged and retried with back-off; they never stop
the worker. At start, runs a worker of the same name had submitted are re-attached to and
observed the same way (:mod:`flowyard.worker.adopt`; types with the ``reattach`` hook).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flowyard.job import BaseJobConfiguration, ExitStatus, FlowRunInfo, Submission
from flowyard.schemas.common import TERMINAL_STATES, StateType
from flowyard.schemas.pools import Heartbeat
from flowyard.schemas.runs import (
    ClaimedRun,
    ClaimRequest,
    ClaimResponse,
    FlowRunUpdate,
    LogCreate,
    ServedClaimRequest,
    SetState,
)

if TYPE_CHECKING:
    from flowyard.plugins import TypeHooks
    from flowyard.worker.api import WorkerApi

log = logging.getLogger("flowyard.worker")
CLAIM_BATCH = 10


def hook_threads(limit: int | None) -> int:
    """Threads for hook calls: one per held run (blocked in ``observe``), plus renders and kills.

    Threads start only when needed, so the cap for a worker without ``--limit`` costs nothing idle.
    """
    return 2 * limit + 4 if limit else 256


@dataclass
class WorkerOptions:
    """Everything ``flowyard worker start`` can set (defaults come from settings)."""

    pool: str
    worker_type: str | None = None
    name: str | None = None
    work_queues: list[str] = field(default_factory=list)
    limit: int | None = None
    prefetch_seconds: float = 10.0
    query_seconds: float = 10.0
    heartbeat_seconds: float = 30.0
    kill_grace_seconds: float = 10.0
    run_once: bool = False
    healthcheck: bool = False
    healthcheck_host: str = "0.0.0.0"
    healthcheck_port: int = 8080
    install_policy: str = "prompt"
    """always / if-not-present / never / prompt (see :mod:`flowyard.installer`)."""
    confirm_install: Any = None
    """For ``prompt``: a callable asking the user, or None when not interactive (acts as never)."""
    serve_deployment_ids: list[str] = field(default_factory=list)
    """Serve mode (``flow.serve``): take the runs of these pool-less deployments, run them as processes."""

    @classmethod
    def from_settings(cls, pool: str, **options: Any) -> WorkerOptions:
        """Options with every interval, grace period and port read from ``FLOWYARD_WORKER_*``.

        An option passed as None keeps its setting (``prefetch_seconds=None``: the setting).
        """
        from flowyard.settings import get_settings

        settings = get_settings()
        defaults: dict[str, Any] = {
            "prefetch_seconds": settings.worker_prefetch_seconds,
            "query_seconds": settings.worker_query_seconds,
            "heartbeat_seconds": settings.worker_heartbeat_seconds,
            "kill_grace_seconds": settings.worker_kill_grace_seconds,
            "healthcheck_port": settings.worker_healthcheck_port,
            "healthcheck_host": settings.worker_healthcheck_host,
        }
        given = {k: v for k, v in options.items() if v is not None or k not in defaults}
        return cls(pool=pool, **{**defaults, **given})


def configure_logging() -> None:
    """Worker-style logging on stderr (timestamps, levels); httpx's per-request lines hidden."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s | %(levelname)-7s | %(name)s | %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass
class ActiveRun:
    """A run this worker holds, from claim until its infrastructure exits."""

    claimed: ClaimedRun
    info: FlowRunInfo | None = None
    configuration: dict[str, Any] = field(default_factory=dict)
    job: BaseJobConfiguration | None = None  # what render returned; kill receives it
    infrastructure_id: str | None = None
    cancel_requested: bool = False
    killing: bool = False

    @property
    def run_id(self) -> str:
        """The claimed flow run's id."""
        return self.claimed.flow_run.id

    @property
    def claim_id(self) -> str:
        """The claim this worker holds the run by."""
        return self.claimed.claim_id


async def cancel_and_wait(*tasks: asyncio.Future[Any]) -> None:
    """Cancel ``tasks`` and wait until each has ended, so none is left pending (e.g. a long-poll
    that could still claim runs for a worker that is gone); their outcomes are dropped."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Worker:
    """A worker for one pool. ``await Worker(options, client).run()`` returns an exit code."""

    def __init__(self, options: WorkerOptions, client: WorkerApi) -> None:
        self.options = options
        self.client = client
        self.name = options.name or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        self.worker_type = options.worker_type
        self.hooks: TypeHooks  # set by setup()
        self.active: dict[str, ActiveRun] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.stopping = asyncio.Event()
        self.draining = False  # a signal asked us to stop: unsubmitted runs are handed back
        self.slot_freed = asyncio.Event()
        self.poll_failures = 0
        self.last_poll_ok = time.monotonic()
        self.runs_submitted = 0

    # ------------------------------------------------------------------ start and stop

    async def setup(self) -> None:
        """Resolve the pool and type, check queues, load the plugin, send the first heartbeat."""
        from flowyard.worker.startup import check_queues, load_type, resolve_pool

        if self.options.serve_deployment_ids:
            self.worker_type = "process"
            self.hooks = load_type("process")
            return
        if self.worker_type is not None:  # before creating a pool for a type we cannot run
            await self._install(self.worker_type)
            load_type(self.worker_type)
        pool = await resolve_pool(self.client, self.options.pool, self.worker_type)
        if self.worker_type is None:
            await self._install(pool.type)
        self.worker_type = pool.type
        self.hooks = load_type(pool.type)
        await check_queues(self.client, self.options.pool, self.options.work_queues)
        await self._heartbeat()

    async def _install(self, worker_type: str) -> None:
        from flowyard.installer import InstallError, InstallPolicy, ensure_worker_type
        from flowyard.worker.startup import WorkerStartupError

        try:
            await asyncio.to_thread(
                ensure_worker_type,
                worker_type,
                InstallPolicy(self.options.install_policy),
                confirm=self.options.confirm_install,
            )
        except InstallError as exc:
            raise WorkerStartupError(str(exc)) from exc

    async def run(self) -> int:
        """Set up, then serve until stopped (SIGTERM/SIGINT) or, with ``run_once``, one poll's runs."""
        await self.setup()
        loop = asyncio.get_running_loop()
        # asyncio's default pool has cpu_count + 4 threads; each held run blocks one in observe
        loop.set_default_executor(
            ThreadPoolExecutor(hook_threads(self.options.limit), thread_name_prefix="flowyard-hook")
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._on_signal, sig)
        health = None
        if self.options.healthcheck:
            from flowyard.worker.healthcheck import serve_health

            health = await serve_health(
                self.options.healthcheck_host, self.options.healthcheck_port, self.health
            )
        queues = ", ".join(self.options.work_queues) or "all queues"
        log.info(
            "Worker '%s' started: pool '%s' (type %s), %s, limit %s, pid %d",
            self.name,
            self.options.pool,
            self.worker_type,
            queues,
            self.options.limit or "none",
            os.getpid(),
        )
        await self._adopt_held_runs()
        heartbeats = asyncio.create_task(self._heartbeat_loop())
        try:
            await self._claim_loop()
            await self._drain()
        finally:
            await cancel_and_wait(heartbeats)
            if health is not None:
                health.close()
            await self._say_stopped()
        log.info("Worker '%s' stopped.", self.name)
        return 0

    async def _say_stopped(self) -> None:
        """Tell the server this worker is leaving, so it shows OFFLINE at once (best effort)."""
        if self.options.serve_deployment_ids:
            return
        try:
            await self.client.worker_stopped(self.options.pool, self.name)
        except Exception as exc:
            log.warning("Could not tell the server this worker stopped: %s", _describe(exc))

    def _on_signal(self, sig: int) -> None:
        if self.stopping.is_set():
            log.warning(
                "Second %s: exiting now; submitted runs keep running and report their own states.",
                signal.Signals(sig).name,
            )
            os._exit(130 if sig == signal.SIGINT else 143)
        log.info(
            "%s received: no new runs will be claimed; waiting for %d active run(s) "
            "(send it again to exit at once).",
            signal.Signals(sig).name,
            len(self.active),
        )
        self.stop()

    def stop(self) -> None:
        """Stop claiming: claimed-but-unsubmitted runs are handed back, submitted ones waited for."""
        self.draining = True
        self.stopping.set()

    async def _drain(self) -> None:
        """After stopping: wait for submitted runs to finish (unsubmitted ones are handed back)."""
        while self.tasks:
            await asyncio.wait(set(self.tasks))

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Healthy unless polls keep failing (3 in a row, or none succeeded for a long while)."""
        since = time.monotonic() - self.last_poll_ok
        healthy = self.poll_failures < 3 and since < max(3 * self.options.query_seconds, 30)
        return healthy, {
            "worker": self.name,
            "pool": self.options.pool,
            "consecutive_poll_failures": self.poll_failures,
            "seconds_since_last_poll": round(since, 1),
            "active_runs": len(self.active),
        }

    # ------------------------------------------------------------------ loops

    async def _heartbeat(self) -> None:
        if self.options.serve_deployment_ids:
            return  # served runs have no pool; claims renew their leases
        await self.client.heartbeat(
            self.options.pool,
            Heartbeat(
                name=self.name,
                heartbeat_interval_seconds=self.options.heartbeat_seconds,
                worker_type=self.worker_type,
                run_limit=self.options.limit,
                held_run_ids=list(self.active),
            ),
        )

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat_seconds)
            try:
                await self._heartbeat()
            except Exception as exc:
                log.warning("Heartbeat failed (will retry): %s", _describe(exc))

    def _free_slots(self) -> int:
        if self.options.limit is None:
            return CLAIM_BATCH
        return max(0, self.options.limit - len(self.active))

    def _claim_call(self, limit: int) -> Coroutine[None, None, ClaimResponse]:
        """The claim request for up to ``limit`` runs, renewing and watching the held ones."""
        # --run-once claims once without waiting; watching its runs afterwards long-polls
        wait = (
            0
            if self.options.run_once and not self.stopping.is_set()
            else self.options.query_seconds
        )
        held = list(self.active)
        if self.options.serve_deployment_ids:
            return self.client.claim_served(
                ServedClaimRequest(
                    worker_name=self.name,
                    deployment_ids=self.options.serve_deployment_ids,
                    limit=limit,
                    wait_seconds=wait,
                    held_run_ids=held,
                )
            )
        return self.client.claim(
            self.options.pool,
            ClaimRequest(
                worker_name=self.name,
                work_queue_names=self.options.work_queues,
                limit=limit,
                prefetch_seconds=self.options.prefetch_seconds,
                wait_seconds=wait,
                held_run_ids=held,
            ),
        )

    async def _poll(self, free: int) -> ClaimResponse | None:
        """One claim request; a poll that only watches held runs is cut short when a slot frees."""
        limit = 0 if self.stopping.is_set() else free
        poll = asyncio.ensure_future(self._claim_call(limit))
        # A poll that may claim runs is abandoned only when shutting down: the server stops a
        # long-poll whose client hung up before claiming anything more for it. A poll that only
        # watches held runs is also cut short when a slot frees, to claim at once.
        wake = asyncio.ensure_future(
            self.stopping.wait() if limit > 0 else self._wake_when_slot_frees()
        )
        try:
            done, _ = await asyncio.wait({poll, wake}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the worker itself is cancelled (a push pool's server)
            await cancel_and_wait(poll, wake)
            raise
        if poll in done:
            wake.cancel()
            return poll.result()
        await cancel_and_wait(poll)
        return None

    async def _wake_when_slot_frees(self) -> None:
        """Return once a run finishes and the loop has something new to do (claim, or stop)."""
        while True:
            await self.slot_freed.wait()
            if self.stopping.is_set() or self._free_slots() > 0:
                return
            self.slot_freed.clear()

    async def _claim_loop(self) -> None:
        backoff = 0.5
        while True:
            if self.stopping.is_set() and not self.active:
                return
            self.slot_freed.clear()
            try:
                response = await self._poll(self._free_slots())
            except Exception as exc:
                self.poll_failures += 1
                delay = min(
                    backoff * (2 ** min(self.poll_failures - 1, 6)), self.options.query_seconds
                )
                log.warning(
                    "Polling pool '%s' failed (%d in a row; retrying in %.1f s): %s",
                    self.options.pool,
                    self.poll_failures,
                    delay,
                    _describe(exc),
                )
                await self._sleep_unless_stopping(delay * (0.8 + 0.4 * random.random()))
                continue
            self.poll_failures = 0
            self.last_poll_ok = time.monotonic()
            if response is None:
                continue
            self._handle(response)
            if self.options.run_once:
                # claim nothing more; the loop goes on watching held runs until they finish
                self.stopping.set()

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    def _handle(self, response: ClaimResponse) -> None:
        for run_id in response.cancelling:
            self._request_cancel(run_id)
        for run_id in response.lost:
            if run_id in self.active:
                log.warning(
                    "Run %s is no longer held by this worker; it will not be cancelled or crashed by it.",
                    run_id,
                )
        for claimed in response.runs:
            active = ActiveRun(claimed)
            self.active[active.run_id] = active
            if self.draining:
                self._spawn(self._hand_back(active))
            else:
                self._spawn(self._execute(active))

    def _spawn(self, coroutine: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # ------------------------------------------------------------------ one run

    async def _execute(self, active: ActiveRun) -> None:
        from flowyard.worker.configuration import job_configuration

        run = active.claimed.flow_run
        try:
            active.info = info = self._run_info(active.claimed)
            active.configuration = await self._with_secrets(
                job_configuration(active.claimed, info), run.work_pool_name
            )
            active.job = job = await asyncio.to_thread(
                self.hooks.render, active.configuration, info
            )
            if active.cancel_requested:
                await self._set_state(
                    active, StateType.CANCELLED, "Cancelled before it was submitted."
                )
                return
            if self.draining:
                await self._hand_back(active)
                return
            log.info("Submitting flow run %s (%s)", run.name, run.id)
            submission = await self._submit(job, info)
            active.infrastructure_id = submission.infrastructure_id
            self.runs_submitted += 1
            if not submission.reported_by_engine:
                await self._report_infrastructure(active)
            await self._observe_to_end(active, job, submission, info)
        except Exception as exc:
            log.error("Flow run %s could not be run: %s", run.id, _describe(exc))
            await self._crash(active, f"The worker could not run this flow run: {_describe(exc)}")
        finally:
            self.active.pop(active.run_id, None)
            self.slot_freed.set()

    async def _observe_to_end(
        self,
        active: ActiveRun,
        job: BaseJobConfiguration,
        submission: Submission[object],
        info: FlowRunInfo,
    ) -> None:
        """Watch a submitted (or re-attached) run's infrastructure until it exits; kill it if it
        is being cancelled; crash the run if it exited without a final state."""
        if active.cancel_requested:
            self._spawn(self._kill(active))
        status = await asyncio.to_thread(self.hooks.observe, job, submission, info)
        if status is not None:
            await self._after_exit(active, status)

    def _run_info(self, claimed: ClaimedRun) -> FlowRunInfo:
        """What the type's hooks are told about a claimed run (API URL and key for its engine)."""
        from flowyard.worker.configuration import flow_run_info

        return flow_run_info(claimed, self.name, self.client.api_url, self.client.api_key)

    async def _submit(self, job: BaseJobConfiguration, info: FlowRunInfo) -> Submission[object]:
        """Start the run's infrastructure through the type's ``submit`` hook."""
        return await asyncio.to_thread(self.hooks.submit, job, info)

    async def _find_again(
        self, infrastructure_id: str, job: BaseJobConfiguration, info: FlowRunInfo
    ) -> Submission[object] | None:
        """An adopted run's infrastructure, through the type's ``reattach`` hook."""
        return await asyncio.to_thread(self.hooks.reattach, infrastructure_id, job, info)

    def _can_find_again(self) -> bool:
        """Whether runs held from before a restart can be found again (``reattach``)."""
        return self.hooks.implements("reattach")

    async def _with_secrets(
        self, configuration: dict[str, Any], pool: str | None
    ) -> dict[str, Any]:
        """The configuration with each ``{{ secret('name') }}`` reference swapped for its value."""
        from flowyard.templating.secret_refs import referenced_names, resolve

        names = referenced_names(configuration)
        if not names:
            return configuration
        if pool is None:
            raise ValueError("secret() references need a work pool (served runs have none)")
        values = {name: (await self.client.pool_secret(pool, name)).value for name in names}
        resolved: dict[str, Any] = resolve(configuration, values.__getitem__)
        return resolved

    async def _report_infrastructure(self, active: ActiveRun) -> None:
        try:
            await self.client.update_flow_run(
                active.run_id, FlowRunUpdate(infrastructure_id=active.infrastructure_id)
            )
        except Exception as exc:
            log.warning(
                "Could not report the infrastructure id of %s: %s", active.run_id, _describe(exc)
            )

    async def _after_exit(self, active: ActiveRun, status: ExitStatus) -> None:
        """The infrastructure exited: a run left without a final state is CRASHED, with why.

        When the type learned that the server accepted the engine's final state
        (``ExitStatus.final_state``), the run is final: nothing to read or do.
        """
        if status.final_state in TERMINAL_STATES:
            return
        run = await self.client.read_flow_run(active.run_id)
        state = run.state_type
        if run.claim_id != active.claim_id:
            return
        if run.infrastructure_id is None and active.infrastructure_id is not None:
            await self._report_infrastructure(active)  # its engine exited before reporting it
        if state in TERMINAL_STATES:
            return
        if state is StateType.CANCELLING:
            await self._set_state(active, StateType.CANCELLED, "Infrastructure stopped.")
            return
        reason = status.reason or f"exited with code {status.code}"
        if status.code == 0:
            message = f"The infrastructure exited (code 0) without the run reporting a final state; it was {state.value}."
        else:
            message = f"{reason} The run was {state.value} and never reported a final state."
        log.warning("Flow run %s crashed: %s", active.run_id, message)
        await self._crash(active, message)

    async def _crash(self, active: ActiveRun, message: str) -> None:
        await self._log_to_run(active, logging.ERROR, message)
        await self._set_state(active, StateType.CRASHED, message)

    async def _log_to_run(self, active: ActiveRun, level: int, message: str) -> None:
        """Write a line into the run's own logs (``flowyard flow-run logs`` shows it)."""
        try:
            await self.client.write_logs(
                [
                    LogCreate(
                        flow_run_id=active.run_id,
                        level=level,
                        name=f"flowyard.worker.{self.name}",
                        message=message,
                    )
                ]
            )
        except Exception as exc:
            log.warning("Could not write to the logs of %s: %s", active.run_id, _describe(exc))

    async def _set_state(self, active: ActiveRun, state: StateType, message: str) -> None:
        try:
            await self.client.set_state(
                active.run_id, SetState(type=state, message=message, claim_id=active.claim_id)
            )
        except Exception as exc:
            log.error("Could not set flow run %s to %s: %s", active.run_id, state, _describe(exc))

    async def _hand_back(self, active: ActiveRun) -> None:
        """Return a claimed, unsubmitted run to SCHEDULED so another worker can take it now."""
        try:
            await self.client.set_state(
                active.run_id,
                SetState(
                    type=StateType.SCHEDULED,
                    message=f"Handed back by worker '{self.name}' (shutting down).",
                    claim_id=active.claim_id,
                ),
            )
            log.info("Handed flow run %s back to the pool.", active.run_id)
        except Exception as exc:
            log.error(
                "Could not hand back flow run %s (its lease will expire): %s",
                active.run_id,
                _describe(exc),
            )
        finally:
            self.active.pop(active.run_id, None)
            self.slot_freed.set()

    # ------------------------------------------------------------------ re-attaching after a restart

    async def _adopt_held_runs(self) -> None:
        """At start: hold again the runs a worker of this name had submitted, and observe them.

        Only for a type with the ``reattach`` hook (see :mod:`flowyard.worker.adopt`). The runs
        take slots and are renewed by the heartbeat and the polls like freshly claimed ones.
        """
        from flowyard.worker.adopt import held_runs

        if self.options.serve_deployment_ids or not self._can_find_again():
            return
        try:
            claimed = await held_runs(self.client, self.options.pool, self.name)
        except Exception as exc:
            log.warning("Could not look for flow runs to re-attach to: %s", _describe(exc))
            return
        if not claimed:
            return
        adopted = [ActiveRun(item) for item in claimed]
        for active in adopted:
            self.active[active.run_id] = active
        log.info(
            "Worker '%s' still holds %d submitted flow run(s) from before it restarted; "
            "re-attaching.",
            self.name,
            len(adopted),
        )
        try:
            await self._heartbeat()  # renew their leases before checking that they are still ours
        except Exception as exc:
            log.warning("Heartbeat failed (will retry): %s", _describe(exc))
        for active in adopted:
            self._spawn(self._reattach(active))

    async def _reattach(self, active: ActiveRun) -> None:
        """Render an adopted run's job again, find its infrastructure, observe it to the end."""
        try:
            found = await self._find_infrastructure(active)
            if found is None:
                return
            job, submission, info = found
            log.info(
                "Re-attached to flow run %s (%s): %s",
                active.claimed.flow_run.name,
                active.run_id,
                submission.infrastructure_id,
            )
            await self._observe_to_end(active, job, submission, info)
        except Exception as exc:
            log.error("Flow run %s could not be observed: %s", active.run_id, _describe(exc))
            await self._crash(
                active, f"The worker could not observe this flow run: {_describe(exc)}"
            )
        finally:
            self.active.pop(active.run_id, None)
            self.slot_freed.set()

    async def _find_infrastructure(
        self, active: ActiveRun
    ) -> tuple[BaseJobConfiguration, Submission[object], FlowRunInfo] | None:
        """The re-rendered job and the type's ``reattach`` answer, or None to leave the run alone.

        A run no longer held under its claim, a type that cannot watch this infrastructure, or an
        error reaching it: left alone (logged). Infrastructure that is gone: the run ends as if it
        had exited (CRASHED with why, or CANCELLED when it was being cancelled).
        """
        from flowyard.errors import InfrastructureNotFound
        from flowyard.worker.adopt import still_held
        from flowyard.worker.configuration import job_configuration

        infrastructure_id = active.claimed.flow_run.infrastructure_id or ""
        try:
            run = await still_held(self.client, active.claimed, self.name)
            if run is None:
                log.info(
                    "Flow run %s is no longer held by this worker; not re-attaching.", active.run_id
                )
                return None
            if run.state_type is StateType.CANCELLING:
                self._request_cancel(active.run_id)
            active.info = info = self._run_info(active.claimed)
            active.configuration = await self._with_secrets(
                job_configuration(active.claimed, info), run.work_pool_name
            )
            active.job = job = await asyncio.to_thread(
                self.hooks.render, active.configuration, info
            )
            submission = await self._find_again(infrastructure_id, job, info)
        except InfrastructureNotFound as exc:
            reason = f"Its infrastructure was gone when worker '{self.name}' restarted: {exc}"
            await self._after_exit(active, ExitStatus(code=-1, reason=reason))
            return None
        except Exception as exc:
            log.error(
                "Could not re-attach to flow run %s (left to report its own state): %s",
                active.run_id,
                _describe(exc),
            )
            return None
        if submission is None:
            log.info(
                "Worker type %s cannot re-attach to %s of flow run %s; it reports its own state.",
                self.worker_type,
                infrastructure_id,
                active.run_id,
            )
            return None
        active.infrastructure_id = submission.infrastructure_id
        return job, submission, info

    # ------------------------------------------------------------------ cancellation

    def _request_cancel(self, run_id: str) -> None:
        active = self.active.get(run_id)
        if active is None or active.cancel_requested:
            return
        active.cancel_requested = True
        log.info("Flow run %s is being cancelled.", run_id)
        if active.infrastructure_id is not None:
            self._spawn(self._kill(active))

    async def _kill(self, active: ActiveRun) -> None:
        from flowyard.errors import InfrastructureNotAvailable, InfrastructureNotFound

        if active.killing or active.infrastructure_id is None or active.job is None:
            return
        active.killing = True
        try:
            await asyncio.to_thread(
                self.hooks.kill,
                active.infrastructure_id,
                active.job,
                self.options.kill_grace_seconds,
            )
            message = f"Cancelled: worker '{self.name}' stopped its infrastructure."
        except InfrastructureNotFound:
            message = "Cancelled: its infrastructure had already exited."
        except (InfrastructureNotAvailable, NotImplementedError) as exc:
            log.error(
                "Cannot stop the infrastructure of flow run %s: %s", active.run_id, _describe(exc)
            )
            return
        except Exception as exc:
            log.error("Killing flow run %s failed: %s", active.run_id, _describe(exc))
            return
        await self._set_state(active, StateType.CANCELLED, message)
