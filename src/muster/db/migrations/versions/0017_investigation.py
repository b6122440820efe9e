"""investigation: observables, affected assets, ATT&CK techniques

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = muster.db.base.UTCDateTime(timezone=True)


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["incident_id"],
        ["incidents.id"],
        name=op.f(f"fk_{table}_incident_id_incidents"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "observables",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("tlp", sa.String(length=20), nullable=False),
        sa.Column("ioc", sa.Boolean(), nullable=False),
        sa.Column("sighted", sa.Boolean(), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("source_ref", sa.String(length=36), nullable=True),
        sa.Column("first_seen", UTC, nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        _incident_fk("observables"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observables")),
        sa.UniqueConstraint("incident_id", "kind", "value", name="uq_observables_value"),
    )
    op.create_index("ix_observables_kind_value", "observables", ["kind", "value"])
    op.create_index("ix_observables_value", "observables", ["value"])
    op.create_table(
        "affected_assets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("identifier", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("status_changed_at", UTC, nullable=False),
        sa.Column("status_changed_by", sa.String(length=320), nullable=False),
        _incident_fk("affected_assets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affected_assets")),
    )
    op.create_index(op.f("ix_affected_assets_incident_id"), "affected_assets", ["incident_id"])
    op.create_table(
        "incident_techniques",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("technique_id", sa.String(length=12), nullable=False),
        sa.Column("tactic", sa.String(length=40), nullable=False),
        sa.Column("observed_at", UTC, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        _incident_fk("incident_techniques"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_techniques")),
        sa.UniqueConstraint(
            "incident_id", "technique_id", "tactic", name="uq_incident_techniques_technique"
        ),
    )


def downgrade() -> None:
    op.drop_table("incident_techniques")
    op.drop_index(op.f("ix_affected_assets_incident_id"), table_name="affected_assets")
    op.drop_table("affected_assets")
    op.drop_index("ix_observables_value", table_name="observables")
    op.drop_index("ix_observables_kind_value", table_name="observables")
    op.drop_table("observables")
