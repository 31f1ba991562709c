"""the secrets store (values encrypted at rest) and the replicas' shared keys

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flowyard.server.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("rotated", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret")),
        sa.UniqueConstraint("name", name=op.f("uq_secret_name")),
    )
    op.create_table(
        "server_key",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_key")),
    )


def downgrade() -> None:
    op.drop_table("server_key")
    op.drop_table("secret")
