"""indexes so the scheduler's per-schedule count reads only that deployment's due-later runs

The scheduler counts each schedule's future runs (``deployment_id = ? AND state_type =
'SCHEDULED' AND scheduled_time > ?``) on every tick. With only ``(deployment_id, state_type)``
SQLite preferred ``(state_type, scheduled_time)`` and walked every future SCHEDULED run of every
deployment: with 100,000 runs the idle server spent 0.7 s of CPU per tick. The new index
``(deployment_id, state_type, scheduled_time)`` serves the query exactly and replaces the old
one, its prefix. Checked by core/tests/server/test_query_plans.py.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_flow_run_deployment_due",
        "flow_run",
        ["deployment_id", "state_type", "scheduled_time"],
        unique=False,
    )
    op.drop_index("ix_flow_run_deployment_state", table_name="flow_run")


def downgrade() -> None:
    op.create_index(
        "ix_flow_run_deployment_state", "flow_run", ["deployment_id", "state_type"], unique=False
    )
    op.drop_index("ix_flow_run_deployment_due", table_name="flow_run")
