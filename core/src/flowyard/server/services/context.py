"""What every service call needs: the database, the settings and the change notifier."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowyard.server.db import Database
from flowyard.server.services.notify import Notifier
from flowyard.server.services.poll_memo import PollMemo
from flowyard.settings import Settings


@dataclass
class ServerContext:
    """Shared server state. Nothing here is authoritative: the database is."""

    db: Database
    settings: Settings
    notifier: Notifier
    run_token_key: bytes | None = None  # cached by flowyard.server.api.deps.run_token_key
    backlogged_pools: set[str] = field(default_factory=set)
    """Pools whose last claim on this replica took all the runs it asked for: their next claim
    skips the read-only "anything due?" check and goes straight to its write transaction. A hint
    only (other replicas' claims do not update it): the claim checks everything again."""
    polls: PollMemo = field(default_factory=PollMemo)
    """The polls recorded here in the last second (a claim then skips reading ``last_polled``)."""
