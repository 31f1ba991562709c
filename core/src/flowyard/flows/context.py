"""Which flow run is executing in this thread/task (so a flow called inside a flow runs inline)."""

from __future__ import annotations

from contextvars import ContextVar

current_run_id: ContextVar[str | None] = ContextVar("flowyard_current_run_id", default=None)
