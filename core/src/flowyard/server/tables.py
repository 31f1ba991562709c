"""The database tables under their Core names (``t.flow_run``), for SQL the services write.

Declared once, as the SQLModel table models of :mod:`flowyard.server.models`; each name here is
its model's ``__table__``. Alembic migrations in ``migrations/`` create them.
"""

from __future__ import annotations

import sqlalchemy as sa

from flowyard.server import models as m
from flowyard.server.models import UTCDateTime

__all__ = [
    "UTCDateTime",
    "api_key",
    "deployment",
    "deployment_schedule",
    "flow",
    "flow_run",
    "flow_run_state",
    "log",
    "metadata",
    "secret",
    "server_key",
    "work_pool",
    "work_queue",
    "worker",
]


def _table(model: type[m.Table]) -> sa.Table:
    table = getattr(model, "__table__")  # noqa: B009 - set by SQLModel on table models only
    assert isinstance(table, sa.Table)
    return table


metadata = m.Table.metadata
work_pool = _table(m.WorkPool)
work_queue = _table(m.WorkQueue)
worker = _table(m.Worker)
flow = _table(m.Flow)
deployment = _table(m.Deployment)
deployment_schedule = _table(m.DeploymentSchedule)
flow_run = _table(m.FlowRun)
flow_run_state = _table(m.FlowRunState)
log = _table(m.Log)
api_key = _table(m.ApiKey)
secret = _table(m.Secret)
server_key = _table(m.ServerKey)
