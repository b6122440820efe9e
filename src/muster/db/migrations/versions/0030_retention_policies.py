"""retention policies per kind; retention runs say whether they finished

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-24 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_retention_policies")),
    )
    with op.batch_alter_table("retention_runs") as batch:
        batch.add_column(
            sa.Column("complete", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("retention_runs") as batch:
        batch.drop_column("complete")
    op.drop_table("retention_policies")
