"""Worker start-up checks: find (or create) the pool, its type's plugin, and the queues."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowyard.errors import FlowyardError
from flowyard.schemas.pools import WorkPool, WorkPoolCreate

if TYPE_CHECKING:
    from flowyard.plugins import TypeHooks
    from flowyard.worker.api import WorkerApi


class WorkerStartupError(FlowyardError):
    """The worker cannot start; the message says what to do (exit code 1)."""


async def resolve_pool(client: WorkerApi, pool_name: str, worker_type: str | None) -> WorkPool:
    """The pool; with ``worker_type`` a missing pool is created with the type's default template."""
    from flowyard.client.errors import WorkPoolNotFound

    try:
        pool = await client.read_pool(pool_name)
    except WorkPoolNotFound:
        if worker_type is None:
            raise WorkerStartupError(
                f"Work pool '{pool_name}' does not exist. Create it with "
                f"`flowyard work-pool create {pool_name} --type <type>`, or pass --type to "
                "`worker start` to create it with that type's default template."
            ) from None
        from flowyard.worker_types import default_base_job_template

        template = default_base_job_template(worker_type)
        return await client.create_pool(
            WorkPoolCreate(name=pool_name, type=worker_type, base_job_template=template)
        )
    from flowyard.pool_types import is_push

    if is_push(pool.type):
        raise WorkerStartupError(
            f"Work pool '{pool_name}' is a push pool (type '{pool.type}'): the server submits "
            "its runs itself, so no worker is started for it. Use a pool of type "
            f"'{pool.type.removesuffix(':push')}' to run a worker."
        )
    if worker_type is not None and worker_type != pool.type:
        raise WorkerStartupError(
            f"Work pool '{pool_name}' is of type '{pool.type}', not '{worker_type}'. "
            f"Drop --type (it is inferred from the pool) or use a pool of type '{worker_type}'."
        )
    return pool


async def check_queues(client: WorkerApi, pool_name: str, names: list[str]) -> None:
    """Unknown ``--work-queue`` names are a start-up error, not a silently idle worker."""
    if not names:
        return
    known = [q.name for q in await client.list_queues(pool_name)]
    missing = [n for n in names if n not in known]
    if missing:
        raise WorkerStartupError(
            f"Work queue(s) {', '.join(repr(m) for m in missing)} not found in pool "
            f"'{pool_name}' (it has: {', '.join(known)}). Create them with "
            f"`flowyard work-queue create <name> --pool {pool_name}`."
        )


def load_type(worker_type: str) -> TypeHooks:
    """The hook caller of an installed worker type, or a start-up error saying how to install it."""
    from flowyard.errors import PluginError
    from flowyard.plugins import worker_types

    try:
        return worker_types().hooks(worker_type)
    except KeyError:
        from flowyard.installer import manual_command
        from flowyard.registry import known_types

        entry = known_types().get(worker_type)
        package = entry.distribution if entry else None
        hint = (
            f"Install {package} from the index that serves it (it is not on PyPI): "
            f"`{manual_command(package, entry.index_url if entry else None)}`, or start the worker "
            "with `--install-policy if-not-present` (installs only from a configured index)."
            if package
            else "No known package provides it (see `flowyard worker types`)."
        )
        raise WorkerStartupError(f"Worker type '{worker_type}' is not installed. {hint}") from None
    except PluginError as exc:
        raise WorkerStartupError(str(exc)) from exc
