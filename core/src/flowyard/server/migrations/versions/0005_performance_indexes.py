"""indexes so the claim and the late-runs loop read only what they need

The claim's candidate query per queue (``queue_id = ? AND state_type = 'SCHEDULED' AND
scheduled_time <= ? ORDER BY scheduled_time``) had no index leading with the queue and the time,
so it walked every due SCHEDULED run of every pool. The late-runs loop (``state_type =
'SCHEDULED' AND state_name = 'Scheduled' AND scheduled_time <= ?``) walked every run already
marked Late on each pass. Checked by core/tests/server/test_query_plans.py.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_flow_run_queue_claimable": ["queue_id", "state_type", "scheduled_time", "id"],
    "ix_flow_run_late": ["state_type", "state_name", "scheduled_time"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "flow_run", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="flow_run")
