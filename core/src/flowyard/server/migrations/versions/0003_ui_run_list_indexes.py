"""indexes for the UI's run lists (keyset pages, newest first, per filter)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_flow_run_scheduled": ["scheduled_time", "id"],
    "ix_flow_run_pool_scheduled": ["pool_id", "scheduled_time", "id"],
    "ix_flow_run_deployment_scheduled": ["deployment_id", "scheduled_time", "id"],
    "ix_flow_run_state_scheduled": ["state_type", "scheduled_time", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
