"""evidence: items, custody, legal holds

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = muster.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("media_type", sa.String(length=200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("external_uri", sa.String(length=2000), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("collected_by", sa.String(length=320), nullable=False),
        sa.Column("collected_at", UTC, nullable=False),
        sa.Column("custodian", sa.String(length=320), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.Column("superseded_by_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("disposed_at", UTC, nullable=True),
        sa.Column("disposed_by", sa.String(length=320), nullable=True),
        sa.Column("disposal_reason", sa.Text(), nullable=True),
        sa.Column("disposal_method", sa.String(length=200), nullable=True),
        sa.Column("deleted_at", UTC, nullable=True),
        sa.Column("deleted_by", sa.String(length=320), nullable=True),
        sa.Column("deleted_reason", sa.Text(), nullable=True),
        sa.Column("last_verified_at", UTC, nullable=True),
        sa.Column("last_verify_ok", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_evidence_items_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
        sa.UniqueConstraint("incident_id", "number", name="uq_evidence_items_number"),
    )
    op.create_index("ix_evidence_items_status", "evidence_items", ["status"], unique=False)
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("placed_at", UTC, nullable=False),
        sa.Column("placed_by", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("released_at", UTC, nullable=True),
        sa.Column("released_by", sa.String(length=320), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_legal_holds_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index(
        op.f("ix_legal_holds_incident_id"), "legal_holds", ["incident_id"], unique=False
    )
    op.create_table(
        "retention_purges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.Column("purged_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_retention_purges_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_purges")),
        sa.UniqueConstraint("kind", "ref_id", name="uq_retention_purges_ref"),
    )
    op.create_index(
        op.f("ix_retention_purges_incident_id"), "retention_purges", ["incident_id"], unique=False
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ran_at", UTC, nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("counts", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    op.create_index(op.f("ix_retention_runs_ran_at"), "retention_runs", ["ran_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_retention_runs_ran_at"), table_name="retention_runs")
    op.drop_table("retention_runs")
    op.drop_index(op.f("ix_retention_purges_incident_id"), table_name="retention_purges")
    op.drop_table("retention_purges")
    op.drop_index(op.f("ix_legal_holds_incident_id"), table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_index("ix_evidence_items_status", table_name="evidence_items")
    op.drop_table("evidence_items")
