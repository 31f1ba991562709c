"""deployment.parameter_schema (runs' parameters checked at creation), worker.stopped (clean exit)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import flowyard.server.tables
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployment") as batch:
        batch.add_column(sa.Column("parameter_schema", sa.JSON(), nullable=True))
    with op.batch_alter_table("worker") as batch:
        batch.add_column(
            sa.Column("stopped", flowyard.server.tables.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("worker") as batch:
        batch.drop_column("stopped")
    with op.batch_alter_table("deployment") as batch:
        batch.drop_column("parameter_schema")
