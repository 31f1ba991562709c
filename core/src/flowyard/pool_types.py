"""Pool type names: a push pool's type is its worker type with ``:push`` (``cloud-run:push``)."""

from __future__ import annotations

PUSH_SUFFIX = ":push"


def is_push(pool_type: str) -> bool:
    """Whether the server itself serves pools of this type (no worker process)."""
    return pool_type.endswith(PUSH_SUFFIX)


def worker_type_of(pool_type: str) -> str:
    """The worker type whose template and hooks a pool of this type uses (``ecs:push`` → ``ecs``)."""
    return pool_type[: -len(PUSH_SUFFIX)] if is_push(pool_type) else pool_type
