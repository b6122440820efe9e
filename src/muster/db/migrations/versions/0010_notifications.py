"""notifications: contact methods, rules, announcement channels, outbox, action tokens,
channel health

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-24 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = muster.db.base.UTCDateTime(timezone=True)


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(length=36), nullable=False)


def upgrade() -> None:
    op.create_table(
        "contact_methods",
        _id(),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=True),
        sa.Column("verified_at", UTC, nullable=True),
        sa.Column("verified_by", sa.String(length=320), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_sent_at", UTC, nullable=True),
        sa.Column("code_expires_at", UTC, nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("removed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_contact_methods_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_methods")),
    )
    with op.batch_alter_table("contact_methods") as batch:
        batch.create_index(batch.f("ix_contact_methods_user_id"), ["user_id"], unique=False)

    op.create_table(
        "notification_rules",
        _id(),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("urgency", sa.String(length=4), nullable=False),
        sa.Column("contact_method_id", sa.String(length=36), nullable=False),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_method_id"],
            ["contact_methods.id"],
            name=op.f("fk_notification_rules_contact_method_id_contact_methods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_rules_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rules")),
        sa.UniqueConstraint(
            "user_id", "urgency", "contact_method_id", "delay_minutes", name="uq_notification_rules"
        ),
    )
    with op.batch_alter_table("notification_rules") as batch:
        batch.create_index(
            batch.f("ix_notification_rules_contact_method_id"), ["contact_method_id"], unique=False
        )
        batch.create_index(batch.f("ix_notification_rules_user_id"), ["user_id"], unique=False)

    op.create_table(
        "announcement_channels",
        _id(),
        sa.Column("owner_type", sa.String(length=10), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("removed_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_channels")),
    )
    with op.batch_alter_table("announcement_channels") as batch:
        batch.create_index(
            "ix_announcement_channels_owner", ["owner_type", "owner_id"], unique=False
        )

    op.create_table(
        "outbox",
        _id(),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("contact_method_id", sa.String(length=36), nullable=True),
        sa.Column("channel_id", sa.String(length=36), nullable=True),
        sa.Column("method_type", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("escalation_id", sa.String(length=36), nullable=True),
        sa.Column("request_event_id", sa.String(length=36), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("loop", sa.Integer(), nullable=True),
        sa.Column("urgency", sa.String(length=4), nullable=True),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("claim_id", sa.String(length=36), nullable=True),
        sa.Column("bundle_id", sa.String(length=36), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["announcement_channels.id"],
            name=op.f("fk_outbox_channel_id_announcement_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_method_id"],
            ["contact_methods.id"],
            name=op.f("fk_outbox_contact_method_id_contact_methods"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["alert_groups.id"], name=op.f("fk_outbox_group_id_alert_groups")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_outbox_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch.create_index("ix_outbox_group", ["group_id", "created_at"], unique=False)
        batch.create_index("ix_outbox_method_sent", ["contact_method_id", "sent_at"], unique=False)
        batch.create_index("ix_outbox_request", ["request_event_id", "user_id"], unique=False)
        batch.create_index(batch.f("ix_outbox_user_id"), ["user_id"], unique=False)

    op.create_table(
        "action_tokens",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("group_ids", JSON, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("outbox_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column("used_action", sa.String(length=10), nullable=True),
        sa.Column("used_via", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_action_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_tokens")),
    )

    op.create_table(
        "channel_health",
        sa.Column("method_type", sa.String(length=10), nullable=False),
        sa.Column("failing_since", UTC, nullable=True),
        sa.Column("last_failure_at", UTC, nullable=True),
        sa.Column("last_success_at", UTC, nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("admins_told_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("method_type", name=op.f("pk_channel_health")),
    )


def downgrade() -> None:
    op.drop_table("channel_health")
    op.drop_table("action_tokens")
    with op.batch_alter_table("outbox") as batch:
        for name in (
            "ix_outbox_user_id",
            "ix_outbox_request",
            "ix_outbox_method_sent",
            "ix_outbox_group",
            "ix_outbox_due",
        ):
            batch.drop_index(name)
    op.drop_table("outbox")
    with op.batch_alter_table("announcement_channels") as batch:
        batch.drop_index("ix_announcement_channels_owner")
    op.drop_table("announcement_channels")
    with op.batch_alter_table("notification_rules") as batch:
        batch.drop_index("ix_notification_rules_user_id")
        batch.drop_index("ix_notification_rules_contact_method_id")
    op.drop_table("notification_rules")
    with op.batch_alter_table("contact_methods") as batch:
        batch.drop_index("ix_contact_methods_user_id")
    op.drop_table("contact_methods")
