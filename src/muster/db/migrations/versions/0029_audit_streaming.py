"""audit forwarding cursors and request origins

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_forwarders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("transport", sa.String(length=10), nullable=True),
        sa.Column("tls_ca_pem", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(length=100), nullable=True),
        sa.Column("type_prefixes", JSON, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("forwarded", sa.BigInteger(), nullable=False),
        sa.Column("claim", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("retry_at", UTC, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_forwarded_at", UTC, nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_forwarders")),
        sa.UniqueConstraint("name", name=op.f("uq_audit_forwarders_name")),
    )
    # The audit view filters the log by time and by actor.
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"], unique=False)
    op.create_index("ix_events_actor", "events", ["actor_id", "position"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_actor", table_name="events")
    op.drop_index("ix_events_occurred_at", table_name="events")
    op.drop_table("audit_forwarders")
