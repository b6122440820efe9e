"""exercise tagging of integrations, alerts, incidents

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# What a drill run creates carries the run's id (muster.domain.exercises); None is real.
_TABLES = ("services", "integrations", "alerts", "incidents")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("exercise_run_id", sa.String(length=36), nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_exercise_run_id"), ["exercise_run_id"], unique=False
            )


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_exercise_run_id"))
            batch_op.drop_column("exercise_run_id")
