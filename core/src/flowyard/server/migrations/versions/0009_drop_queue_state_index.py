"""drop ``ix_flow_run_queue_state``: a prefix of ``ix_flow_run_queue_claimable``

``(queue_id, state_type)`` is the first two columns of ``(queue_id, state_type, scheduled_time,
id)``, so every query it served is served as well by the longer index. It still cost every write
that changes a run's state (a claim, RUNNING, a final state): about 3 of the ~20 WAL pages a
claim of one run wrote on SQLite (measured at 100,000 runs), and the same index upkeep on
PostgreSQL. Checked by core/tests/server/test_query_plans.py.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_flow_run_queue_state", table_name="flow_run")


def downgrade() -> None:
    op.create_index("ix_flow_run_queue_state", "flow_run", ["queue_id", "state_type"], unique=False)
