"""MQTT subscriptions of physical-security integrations

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)
JSON = muster.db.base.JSONType


def upgrade() -> None:
    op.create_table(
        "frigate_objects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("integration_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("review_id", sa.String(length=100), nullable=True),
        sa.Column("alert_id", sa.String(length=36), nullable=True),
        sa.Column("camera", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("identity", sa.String(length=255), nullable=True),
        sa.Column("zones", JSON, nullable=False),
        sa.Column("site_event_ids", JSON, nullable=False),
        sa.Column("first_seen", UTC, nullable=False),
        sa.Column("last_seen", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_frigate_objects_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_frigate_objects_alert_id_alerts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frigate_objects")),
        sa.UniqueConstraint("integration_id", "event_id", name="uq_frigate_objects_event"),
    )
    op.create_index("ix_frigate_objects_review", "frigate_objects", ["integration_id", "review_id"])
    op.create_table(
        "mqtt_connections",
        sa.Column("integration_id", sa.String(length=36), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("node", sa.String(length=200), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        sa.Column("seen_at", UTC, nullable=False),
        sa.Column("last_message_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_mqtt_connections_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_mqtt_connections")),
    )


def downgrade() -> None:
    op.drop_table("mqtt_connections")
    op.drop_index("ix_frigate_objects_review", table_name="frigate_objects")
    op.drop_table("frigate_objects")
