"""Which worker types a push pool may use: installed here (or known) and implementing ``lookup``."""

from __future__ import annotations

from flowyard.errors import PluginError
from flowyard.plugins import worker_types
from flowyard.pool_types import is_push, worker_type_of
from flowyard.registry import known_types
from flowyard.server.errors import Invalid


def check_push_type(pool_type: str) -> None:
    """Refuse a push pool whose worker type cannot be pushed (422 naming ``type``).

    A type installed on the server must implement the ``lookup`` hook (its declaration of push
    support: a submitter can then never start a run twice). A type that is only known from the
    registry is accepted; the pool stays NOT_READY until its package is installed here.
    """
    if not is_push(pool_type):
        return
    base = worker_type_of(pool_type)
    installed = worker_types().installed()
    if base not in installed:
        if base in known_types():
            return
        raise _invalid_type(
            f"unknown worker type {base!r} in {pool_type!r}; `flowyard worker types` "
            "lists them (push pools: cloud-run:push, ecs:push, azure-container-instance:push)."
        )
    try:
        supported = worker_types().hooks(base).implements("lookup")
    except PluginError as exc:
        raise _invalid_type(f"worker type {base!r} cannot be loaded: {exc}") from exc
    if not supported:
        raise _invalid_type(
            f"worker type {base!r} does not support push pools (it has no 'lookup' hook, "
            f"so the server could not submit its runs exactly once). Use type {base!r} with a "
            "worker, or a type that supports push: cloud-run:push, ecs:push, "
            "azure-container-instance:push."
        )


def _invalid_type(message: str) -> Invalid:
    """A 422 on ``type``: the headline, then the field error (the CLI prints each once)."""
    return Invalid(
        f"Invalid work pool type: {message}",
        field="type",
        errors=[{"field": "type", "message": message}],
    )
