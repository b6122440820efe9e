"""playbooks: versioned playbooks, their runs and run steps, and the secret store

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "playbooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("repeatable", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
        sa.UniqueConstraint("key", name=op.f("uq_playbooks_key")),
    )
    op.create_table(
        "secrets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secrets")),
        sa.UniqueConstraint("name", name=op.f("uq_secrets_name")),
    )
    op.create_table(
        "playbook_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("playbook_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_versions_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_versions")),
        sa.UniqueConstraint("playbook_id", "version", name="uq_playbook_versions"),
    )
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("playbook_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=200), nullable=False),
        sa.Column("trigger_event_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_by", sa.String(length=320), nullable=False),
        sa.Column("ended_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("outputs", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_playbook_runs_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"], ["playbooks.id"], name=op.f("fk_playbook_runs_playbook_id_playbooks")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["playbook_versions.id"],
            name=op.f("fk_playbook_runs_version_id_playbook_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
    )
    with op.batch_alter_table("playbook_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_playbook_runs_incident", ["incident_id", "playbook_id"], unique=False
        )
        batch_op.create_index("ix_playbook_runs_status", ["status"], unique=False)

    op.create_table(
        "playbook_run_steps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("output", JSON, nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decided_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["playbook_runs.id"],
            name=op.f("fk_playbook_run_steps_run_id_playbook_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_run_steps")),
        sa.UniqueConstraint("run_id", "position", name="uq_playbook_run_steps_position"),
    )
    with op.batch_alter_table("playbook_run_steps", schema=None) as batch_op:
        batch_op.create_index("ix_playbook_run_steps_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("playbook_run_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_playbook_run_steps_due")

    op.drop_table("playbook_run_steps")
    with op.batch_alter_table("playbook_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_playbook_runs_status")
        batch_op.drop_index("ix_playbook_runs_incident")

    op.drop_table("playbook_runs")
    op.drop_table("playbook_versions")
    op.drop_table("secrets")
    op.drop_table("playbooks")
