"""schedule eras: layer order and time zone take effect from a chosen time

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = muster.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedule_eras",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("schedule_id", sa.String(length=36), nullable=False),
        sa.Column("until", UTC, nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("ranks", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], name=op.f("fk_schedule_eras_schedule_id_schedules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_eras")),
    )
    with op.batch_alter_table("schedule_eras", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_eras_schedule_id"), ["schedule_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("schedule_eras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_eras_schedule_id"))
    op.drop_table("schedule_eras")
