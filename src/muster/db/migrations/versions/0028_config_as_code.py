"""managed objects of configuration as code

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "config_managed",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=320), nullable=False),
        sa.Column("applied_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_managed")),
        sa.UniqueConstraint("kind", "object_id", name="uq_config_managed_object"),
    )


def downgrade() -> None:
    op.drop_table("config_managed")
