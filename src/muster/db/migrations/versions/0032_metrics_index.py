"""a covering index for the incident metrics: every column the metrics page reads or
filters on, so counting 100,000 incidents scans the index, never the wide table rows

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-24 04:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

COLUMNS = [
    "declared_at", "status", "severity", "type_key", "restricted", "exercise_run_id",
    "detected_at", "contained_at", "resolved_at", "closed_at", "impact_started_at",
    "first_acknowledged_at", "commander_engaged_at", "id",
]  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.create_index("ix_incidents_metrics", COLUMNS)


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index("ix_incidents_metrics")
