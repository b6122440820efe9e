"""escalation policies, levels, running escalations; services' policy and urgency rules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = muster.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("repeat_count", sa.Integer(), nullable=False),
        sa.Column("ack_timeout_minutes", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("archived_at", UTC, nullable=True),
        sa.CheckConstraint(
            "repeat_count BETWEEN 0 AND 9",
            name=op.f("ck_escalation_policies_repeat_count_range"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_escalation_policies_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_escalation_policies_name")),
    )
    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_policies_team_id"), ["team_id"], unique=False
        )

    op.create_table(
        "escalation_levels",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("policy_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("targets", JSON, nullable=False),
        sa.CheckConstraint("delay_minutes >= 1", name=op.f("ck_escalation_levels_delay_positive")),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_escalation_levels_policy_id_escalation_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_levels")),
        sa.UniqueConstraint("policy_id", "position", name="uq_escalation_levels_position"),
    )
    with op.batch_alter_table("escalation_levels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_levels_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("policy_id", sa.String(length=36), nullable=True),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("level_index", sa.Integer(), nullable=False),
        sa.Column("loop", sa.Integer(), nullable=False),
        sa.Column("reached_level_index", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("next_due_at", UTC, nullable=True),
        sa.Column("ack_timeout_due_at", UTC, nullable=True),
        sa.Column("snoozed_until", UTC, nullable=True),
        sa.Column(
            "held_until_support_hours", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["alert_groups.id"], name=op.f("fk_escalations_group_id_alert_groups")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_escalations_policy_id_escalation_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_escalations_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
        sa.UniqueConstraint("group_id", name=op.f("uq_escalations_group_id")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalations_next_due_at"), ["next_due_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_escalations_policy_id"), ["policy_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_escalations_service_id"), ["service_id"], unique=False)

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_policy_id", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("urgency_rules", JSON, nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.create_index(
            batch_op.f("ix_services_escalation_policy_id"), ["escalation_policy_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_services_escalation_policy_id_escalation_policies"),
            "escalation_policies",
            ["escalation_policy_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_services_escalation_policy_id_escalation_policies"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_services_escalation_policy_id"))
        batch_op.drop_column("urgency_rules")
        batch_op.drop_column("escalation_policy_id")

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_service_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_policy_id"))
        batch_op.drop_index(batch_op.f("ix_escalations_next_due_at"))
    op.drop_table("escalations")

    with op.batch_alter_table("escalation_levels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_levels_policy_id"))
    op.drop_table("escalation_levels")

    with op.batch_alter_table("escalation_policies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_policies_team_id"))
    op.drop_table("escalation_policies")
