"""drill scenarios, runs, injects, expectations, debriefs, action items; sites.exercise_run_id

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "drill_scenarios",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("archived_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_scenarios")),
        sa.UniqueConstraint("key", name=op.f("uq_drill_scenarios_key")),
    )
    op.create_table(
        "drill_scenario_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scenario_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["drill_scenarios.id"],
            name=op.f("fk_drill_scenario_versions_scenario_id_drill_scenarios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_scenario_versions")),
        sa.UniqueConstraint("scenario_id", "version", name="uq_drill_scenario_versions"),
    )
    op.create_table(
        "drill_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scenario_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("facilitator_id", sa.String(length=36), nullable=False),
        sa.Column("participants", JSON, nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=True),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("started_by", sa.String(length=320), nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("pauses", JSON, nullable=False),
        sa.Column("next_check_at", UTC, nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("report_kept_at", UTC, nullable=True),
        sa.Column("report", JSON, nullable=True),
        sa.Column("cleaned_up_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["facilitator_id"], ["users.id"], name=op.f("fk_drill_runs_facilitator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["drill_scenarios.id"],
            name=op.f("fk_drill_runs_scenario_id_drill_scenarios"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["drill_scenario_versions.id"],
            name=op.f("fk_drill_runs_version_id_drill_scenario_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_drill_runs_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_runs")),
    )
    op.create_index(
        "ix_drill_runs_status_check", "drill_runs", ["status", "next_check_at"], unique=False
    )
    op.create_index("ix_drill_runs_team", "drill_runs", ["team_id", "started_at"], unique=False)
    op.create_table(
        "drill_run_injects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_offset", sa.Integer(), nullable=True),
        sa.Column("fired_at", UTC, nullable=True),
        sa.Column("fired_offset", sa.Integer(), nullable=True),
        sa.Column("output", JSON, nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["drill_runs.id"],
            name=op.f("fk_drill_run_injects_run_id_drill_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_run_injects")),
        sa.UniqueConstraint("run_id", "position", name="uq_drill_run_injects_position"),
    )
    op.create_table(
        "drill_run_expectations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("check", sa.String(length=40), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=True),
        sa.Column("deadline_offset", sa.Integer(), nullable=True),
        sa.Column("observed_offset", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("graded_by", sa.String(length=320), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["drill_runs.id"],
            name=op.f("fk_drill_run_expectations_run_id_drill_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_run_expectations")),
        sa.UniqueConstraint("run_id", "position", name="uq_drill_run_expectations_position"),
    )
    op.create_table(
        "drill_debriefs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("went_well", sa.Text(), nullable=False),
        sa.Column("went_badly", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["drill_runs.id"],
            name=op.f("fk_drill_debriefs_run_id_drill_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drill_debriefs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_debriefs")),
        sa.UniqueConstraint("run_id", "user_id", name="uq_drill_debriefs_user"),
    )
    op.create_index(op.f("ix_drill_debriefs_run_id"), "drill_debriefs", ["run_id"], unique=False)
    op.create_table(
        "drill_action_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("wont_do_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_drill_action_items_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["drill_runs.id"],
            name=op.f("fk_drill_action_items_run_id_drill_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_action_items")),
        sa.UniqueConstraint("number", name=op.f("uq_drill_action_items_number")),
    )
    op.create_index(
        op.f("ix_drill_action_items_run_id"), "drill_action_items", ["run_id"], unique=False
    )
    op.create_index(
        "ix_drill_action_items_status_due", "drill_action_items", ["status", "due_on"], unique=False
    )
    # A run's exercise site is marked with the run (muster.domain.drills.exercise_site).
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exercise_run_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sites_exercise_run_id"), ["exercise_run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_exercise_run_id"))
        batch_op.drop_column("exercise_run_id")
    op.drop_index("ix_drill_action_items_status_due", table_name="drill_action_items")
    op.drop_index(op.f("ix_drill_action_items_run_id"), table_name="drill_action_items")
    op.drop_index(op.f("ix_drill_debriefs_run_id"), table_name="drill_debriefs")
    op.drop_index("ix_drill_runs_team", table_name="drill_runs")
    op.drop_index("ix_drill_runs_status_check", table_name="drill_runs")
    op.drop_table("drill_action_items")
    op.drop_table("drill_debriefs")
    op.drop_table("drill_run_expectations")
    op.drop_table("drill_run_injects")
    op.drop_table("drill_runs")
    op.drop_table("drill_scenario_versions")
    op.drop_table("drill_scenarios")
