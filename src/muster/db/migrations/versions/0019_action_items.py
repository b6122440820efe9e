"""action items: follow-ups across incidents

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("review_id", sa.String(length=36), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("done_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=320), nullable=True),
        sa.Column("wont_do_reason", sa.Text(), nullable=True),
        sa.Column("tracker_url", sa.String(length=2000), nullable=True),
        sa.Column("tracker_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_action_items_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_action_items_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_action_items_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_items")),
        sa.UniqueConstraint("number", name=op.f("uq_action_items_number")),
    )
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_action_items_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_action_items_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_action_items_status_due", ["status", "due_on"], unique=False)
        batch_op.create_index("ix_action_items_team_status", ["team_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_items_team_status")
        batch_op.drop_index("ix_action_items_status_due")
        batch_op.drop_index(batch_op.f("ix_action_items_owner_id"))
        batch_op.drop_index(batch_op.f("ix_action_items_incident_id"))

    op.drop_table("action_items")
