"""alert list indexes: newest first over all alerts, per service, and per status with
the id tie-break, so the alert list reads its page of keys from an index

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 18:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_status_seen")
        batch_op.create_index("ix_alerts_status_seen", ["status", "last_seen", "id"], unique=False)
        batch_op.create_index("ix_alerts_seen", ["last_seen", "id"], unique=False)
        batch_op.create_index(
            "ix_alerts_service_status_seen",
            ["service_id", "status", "last_seen", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_service_status_seen")
        batch_op.drop_index("ix_alerts_seen")
        batch_op.drop_index("ix_alerts_status_seen")
        batch_op.create_index("ix_alerts_status_seen", ["status", "last_seen"], unique=False)
