"""attempts at fetching Frigate files as incident evidence, kept in the database so that
an engine restart neither forgets them nor starts counting afresh; the values too common
to group security alerts by (correlation settings' ignore list)

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)
JSON = muster.db.base.JSONType
# muster.domain.correlation.ignore_list.DEFAULT_IGNORED when this was written.
DEFAULT_IGNORED = [
    "127.0.0.0/8", "::1",
    "0.0.0.0",  # noqa: S104 (a value to ignore, not an address to bind)
    "::", "169.254.0.0/16", "fe80::/10", "localhost",
]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "frigate_media_fetches",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_frigate_media_fetches_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "filename", name=op.f("pk_frigate_media_fetches")),
    )
    with op.batch_alter_table("correlation_settings") as batch:
        batch.add_column(sa.Column("ignored", JSON, nullable=True))
    settings = sa.table("correlation_settings", sa.column("ignored", JSON))
    op.execute(settings.update().values(ignored=DEFAULT_IGNORED))
    with op.batch_alter_table("correlation_settings") as batch:
        batch.alter_column("ignored", existing_type=JSON, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("correlation_settings") as batch:
        batch.drop_column("ignored")
    op.drop_table("frigate_media_fetches")
