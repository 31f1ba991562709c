"""deployment.schedule_error (the scheduler's last failure, shown by the API); api_key.pools
(the pools a worker key is bound to)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule_error", sa.Text(), nullable=True))
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pools", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("pools")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_column("schedule_error")
