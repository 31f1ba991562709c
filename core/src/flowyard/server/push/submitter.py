"""The in-server worker of one push pool: the worker runtime, with a server identity.

It claims through the same API as a pull worker (the same atomic claim, limits, priorities,
leases, cancellation signals), renders with the same templating and calls the pool's worker
type through the plugin contract (:class:`flowyard.plugins.TypeHooks`, never a plugin module).
What differs from :class:`flowyard.worker.runtime.Worker`:

- **Secrets** named by the pool's template are read from the store and swapped in memory just
  before ``render`` (no HTTP round trip; a reference the template does not name is refused, as
  for a pull worker). The values reach the type's hooks only; nothing is written back.
- **Exactly once**: before every ``submit`` the type's ``lookup`` hook is asked for live
  infrastructure of the run (named deterministically from the run's id). A replica killed
  mid-submit leaves the run's lease to expire; whoever claims it again finds that
  infrastructure and observes it instead of submitting a second time.
- **Adoption** after a restart of the same replica uses ``reattach``, else ``lookup``.
- The run's engine gets the run's scoped token, never the replica's key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from flowyard.errors import InfrastructureNotFound
from flowyard.job import BaseJobConfiguration, FlowRunInfo, Submission
from flowyard.pool_types import worker_type_of
from flowyard.schemas.common import StateType
from flowyard.schemas.runs import ClaimedRun
from flowyard.server.services.context import ServerContext
from flowyard.worker.api import WorkerApi
from flowyard.worker.runtime import ActiveRun, Worker, WorkerOptions, cancel_and_wait

log = logging.getLogger("flowyard.server.push")


class PushSubmitter(Worker):
    """Serves one push pool inside a server replica (see the module docstring)."""

    def __init__(self, ctx: ServerContext, pool: str, name: str, client: WorkerApi) -> None:
        lease = ctx.settings.server_claim_lease_seconds
        options = WorkerOptions(
            pool=pool,
            name=name,
            prefetch_seconds=ctx.settings.worker_prefetch_seconds,
            # leases are renewed by polls and heartbeats: both well inside a claim lease
            query_seconds=min(ctx.settings.worker_query_seconds, lease / 3),
            heartbeat_seconds=min(ctx.settings.worker_heartbeat_seconds, lease / 3),
            kill_grace_seconds=ctx.settings.worker_kill_grace_seconds,
            install_policy="never",
        )
        super().__init__(options, client)
        self.ctx = ctx

    async def setup(self) -> None:
        """Load the pool's worker type (``ecs`` for ``ecs:push``) and say this replica serves it."""
        from flowyard.worker.startup import load_type

        pool = await self.client.read_pool(self.options.pool)
        self.worker_type = pool.type
        self.hooks = load_type(worker_type_of(pool.type))
        await self._heartbeat()

    async def serve(self) -> None:
        """Claim, submit and observe until cancelled (the server's shutdown or the pool's deletion).

        Runs it still observes when cancelled keep going on their infrastructure; the replica
        re-attaches to them when it restarts under the same name, else their leases expire.
        """
        await self.setup()
        log.info("Replica serves push pool '%s' as '%s'", self.options.pool, self.name)
        await self._take_over(restarted=True)
        heartbeats = asyncio.create_task(self._heartbeat_loop())
        takeovers = asyncio.create_task(self._takeover_loop())
        try:
            await self._claim_loop()
        finally:
            await cancel_and_wait(heartbeats, takeovers, *self.tasks)

    async def _takeover_loop(self) -> None:
        interval = max(self.ctx.settings.server_claim_lease_seconds / 2, 0.5)
        while True:
            await asyncio.sleep(interval)
            try:
                await self._take_over(restarted=False)
            except Exception as exc:
                log.warning("Taking over runs of stopped replicas failed (will retry): %s", exc)

    async def _take_over(self, *, restarted: bool) -> None:
        """Hold, under their claims, the runs a stopped replica held (see :mod:`.takeover`)."""
        from flowyard.server.push.takeover import take_over

        ids = await asyncio.to_thread(
            take_over, self.ctx, self.options.pool, self.name, restarted=restarted
        )
        fresh = [run_id for run_id in ids if run_id not in self.active]
        if not fresh:
            return
        log.warning(
            "Taking over %d flow run(s) of pool '%s' held by a stopped replica: %s",
            len(fresh),
            self.options.pool,
            ", ".join(fresh),
        )
        for run_id in fresh:
            claimed = await self._claimed_again(run_id)
            active = ActiveRun(claimed)
            self.active[run_id] = active
            if claimed.flow_run.state_type is StateType.CANCELLING:
                active.cancel_requested = True
            self._spawn(self._execute(active))

    async def _claimed_again(self, run_id: str) -> ClaimedRun:
        """A taken-over run as its claim had handed it out (same claim id, a fresh run token)."""
        from flowyard.schemas.common import utcnow
        from flowyard.server import run_tokens
        from flowyard.server.api.deps import run_token_key
        from flowyard.worker.adopt import run_deployment

        run = await self.client.read_flow_run(run_id)
        template = (await self.client.read_pool(self.options.pool)).base_job_template
        token = run_tokens.issue(
            run_token_key(self.ctx), run.id, self.ctx.settings.server_run_token_seconds
        )
        return ClaimedRun(
            flow_run=run,
            claim_id=run.claim_id or "",
            lease_expires=utcnow(),
            deployment=await run_deployment(self.client, run, {}),
            base_job_template=template,
            run_token=token,
        )

    def _run_info(self, claimed: ClaimedRun) -> FlowRunInfo:
        """As a pull worker's, but with no fallback to the replica's own key: the run's token only."""
        from flowyard.worker.configuration import flow_run_info

        return flow_run_info(claimed, self.name, self.client.api_url, None)

    async def _with_secrets(
        self, configuration: dict[str, Any], pool: str | None
    ) -> dict[str, Any]:
        """Swap each secret reference for its value from the store, in memory only."""
        from flowyard.templating.secret_refs import referenced_names, resolve

        names = referenced_names(configuration)
        if not names:
            return configuration
        values = await asyncio.to_thread(self._reveal, pool or self.options.pool, names)
        resolved: dict[str, Any] = resolve(configuration, values.__getitem__)
        return resolved

    def _reveal(self, pool: str, names: set[str]) -> dict[str, str]:
        from flowyard.server.secret_cipher import SecretCipher
        from flowyard.server.services.secrets import reveal_for_pool

        cipher = SecretCipher.from_settings(self.ctx.settings)
        with self.ctx.db.read() as conn:
            values = reveal_for_pool(conn, cipher, pool, names)  # as for a pull worker
        return {name: value.value for name, value in values.items()}

    async def _submit(self, job: BaseJobConfiguration, info: FlowRunInfo) -> Submission[object]:
        """``lookup`` first; ``submit`` only when no live infrastructure of this run exists."""
        from flowyard.server.push.identity import record_submit

        found = await asyncio.to_thread(self.hooks.lookup, job, info)
        if found is not None:
            log.warning(
                "Flow run %s already has infrastructure %s (a replica stopped mid-submit); "
                "observing it instead of submitting again.",
                info.id,
                found.infrastructure_id,
            )
            return found
        held = self.active.get(info.id)
        if held is not None and held.claimed.flow_run.state_type is not StateType.PENDING:
            raise RuntimeError(
                f"its infrastructure is gone: the replica that submitted it stopped while it was "
                f"{held.claimed.flow_run.state_type.value}, and no live infrastructure was found"
            )
        submission = await asyncio.to_thread(self.hooks.submit, job, info)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(record_submit, self.ctx, self.options.pool, self.name)
        return submission

    def _can_find_again(self) -> bool:
        return self.hooks.implements("reattach") or self.hooks.implements("lookup")

    async def _find_again(
        self, infrastructure_id: str, job: BaseJobConfiguration, info: FlowRunInfo
    ) -> Submission[object] | None:
        if self.hooks.implements("reattach"):
            return await super()._find_again(infrastructure_id, job, info)
        found = await asyncio.to_thread(self.hooks.lookup, job, info)
        if found is None:
            raise InfrastructureNotFound(f"no live infrastructure of flow run {info.id} was found")
        return found
