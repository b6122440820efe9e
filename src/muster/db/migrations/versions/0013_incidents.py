"""incidents: types, severity definitions, role definitions, incidents and their
services, alert groups, roles, participants, tasks, notes, key events, attachments,
status updates, stakeholder subscriptions, saved views, outgoing webhooks; the security
team flag on teams and the status-page fields on services

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 21:20:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base
from muster.ids import new_id

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# (key, name, description, restricted by default)
TYPES = [
    ("operational", "Operational", "A service outage or degradation.", False),
    ("security", "Security", "A breach, intrusion, malware or data exposure.", True),
    ("physical_security", "Physical security",
     "A forced door, intrusion or theft at a site.", True),
    ("compliance", "Compliance", "A breach of a regulation, contract or policy.", False),
    ("performance", "Performance", "Slowness or capacity trouble without an outage.", False),
    ("human_error", "Human error", "A mistake in a change, a deploy or an operation.", False),
]  # fmt: skip
# (level, label, description, update cadence in minutes, requires a commander)
SEVERITIES = [
    (1, "Critical", "Broad customer impact, SLA broken, or customer data exposed. "
     "When unsure, pick the higher severity.", 30, True),
    (2, "Major", "A critical system issue impacting many customers.", 60, True),
    (3, "Moderate", "Stability or minor customer impact needing attention now.", 240, False),
    (4, "Minor", "A minor issue with no customer impact.", None, False),
    (5, "Cosmetic", "A cosmetic issue; fix in normal work.", None, False),
]  # fmt: skip
# (key, name, instructions)
ROLE_TYPES = [
    ("commander", "Incident Commander",
     "Decide and delegate; do not fix. Keep everyone on one plan, set when the next "
     "update is due, and hand command off explicitly if you step away."),
    ("deputy", "Deputy",
     "Back up the Commander: track tasks and time, chase owners, and take command if asked."),
    ("scribe", "Scribe",
     "Record decisions, actions and findings on the timeline as they happen; mark key events."),
    ("communications", "Communications Lead",
     "Post updates on cadence: internal ones as conditions / actions / needs, and "
     "stakeholder updates in plain language."),
    ("technical", "Technical Lead",
     "Lead the technical investigation and report in conditions / actions / needs."),
    ("security", "Security Lead",
     "Own containment and evidence: preserve logs and systems before changing them."),
    ("legal", "Legal/Compliance",
     "Track regulatory clocks and notification duties; review anything said outside."),
]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "incident_role_types",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("instructions", sa.String(length=2000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_role_types")),
        sa.UniqueConstraint("key", name=op.f("uq_incident_role_types_key")),
    )
    op.create_table(
        "incident_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscriber_type", sa.String(length=10), nullable=False),
        sa.Column("subscriber_id", sa.String(length=36), nullable=False),
        sa.Column("scope_type", sa.String(length=10), nullable=False),
        sa.Column("scope_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_subscriptions")),
        sa.UniqueConstraint(
            "subscriber_type",
            "subscriber_id",
            "scope_type",
            "scope_id",
            name="uq_incident_subscriptions_scope",
        ),
    )
    with op.batch_alter_table("incident_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_subscriptions_scope", ["scope_type", "scope_id"], unique=False
        )

    op.create_table(
        "incident_types",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("restricted_by_default", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_types")),
        sa.UniqueConstraint("key", name=op.f("uq_incident_types_key")),
    )
    op.create_table(
        "incident_webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column(
            "event_types",
            JSON,
            nullable=False,
        ),
        sa.Column("include_restricted", sa.Boolean(), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("disabled_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_webhooks")),
    )
    op.create_table(
        "severity_levels",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("update_cadence_minutes", sa.Integer(), nullable=True),
        sa.Column("requires_commander", sa.Boolean(), nullable=False),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_severity_levels_level_range")),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_severity_levels")),
    )
    op.create_table(
        "incident_saved_views",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_incident_saved_views_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_saved_views")),
    )
    with op.batch_alter_table("incident_saved_views", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_saved_views_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("type_key", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("customer_facing", sa.Boolean(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column(
            "tags",
            JSON,
            nullable=False,
        ),
        sa.Column(
            "sites",
            JSON,
            nullable=False,
        ),
        sa.Column("detected_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("declared_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("investigating_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("contained_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("eradicated_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recovering_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("in_review_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("declined_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.String(length=36), nullable=True),
        sa.Column("declared_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_update_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_update_due_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("update_reminded_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("commander_paged_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("severity BETWEEN 1 AND 5", name=op.f("ck_incidents_severity_range")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["incidents.id"], name=op.f("fk_incidents_merged_into_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["severity"],
            ["severity_levels.level"],
            name=op.f("fk_incidents_severity_severity_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["type_key"], ["incident_types.key"], name=op.f("fk_incidents_type_key_incident_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_declared", ["declared_at", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incidents_merged_into_id"), ["merged_into_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incidents_next_update_due_at"), ["next_update_due_at"], unique=False
        )
        batch_op.create_index(
            "ix_incidents_severity_declared", ["severity", "declared_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_incidents_status_declared", ["status", "declared_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incidents_type_key"), ["type_key"], unique=False)

    op.create_table(
        "incident_attachments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_attachments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_attachments")),
    )
    with op.batch_alter_table("incident_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_attachments_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_attachments_sha256"), ["sha256"], unique=False
        )

    op.create_table(
        "incident_key_events",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("marked_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("marked_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_key_events_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "event_id", name=op.f("pk_incident_key_events")),
    )
    op.create_table(
        "incident_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("author_label", sa.String(length=320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("corrected_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_incident_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_notes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_notes")),
    )
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_notes_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_participants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("joined_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_participants_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_incident_participants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_participants")),
    )
    with op.batch_alter_table("incident_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_participants_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index("ix_incident_participants_user", ["user_id", "left_at"], unique=False)

    op.create_table(
        "incident_role_assignments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("role_type_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=320), nullable=False),
        sa.Column("ended_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_role_assignments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_type_id"],
            ["incident_role_types.id"],
            name=op.f("fk_incident_role_assignments_role_type_id_incident_role_types"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_incident_role_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_role_assignments")),
    )
    with op.batch_alter_table("incident_role_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_role_assignments_open", ["incident_id", "ended_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_role_assignments_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "incident_status_updates",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("public_status", sa.String(length=20), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("posted_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("author_label", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_incident_status_updates_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_status_updates_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_status_updates")),
    )
    with op.batch_alter_table("incident_status_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_status_updates_incident", ["incident_id", "posted_at"], unique=False
        )

    op.create_table(
        "incident_tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("due_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("created_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("completed_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", muster.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_tasks_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_incident_tasks_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_tasks")),
    )
    with op.batch_alter_table("incident_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_incident_tasks_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_incident_tasks_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_services",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_services_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_incident_services_service_id_services")
        ),
        sa.PrimaryKeyConstraint("incident_id", "service_id", name=op.f("pk_incident_services")),
    )
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_services_service_id"), ["service_id"], unique=False
        )

    op.create_table(
        "incident_alert_groups",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", muster.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alert_groups.id"],
            name=op.f("fk_incident_alert_groups_group_id_alert_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_alert_groups_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_incident_alert_groups")),
    )
    with op.batch_alter_table("incident_alert_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_alert_groups_incident_id"), ["incident_id"], unique=False
        )

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("public_name", sa.String(length=120), nullable=False, server_default="")
        )

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sees_restricted", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    _seed()


def _seed() -> None:
    """The built-in types, SEV1 to SEV5 and roles (admins edit and add to them later)."""
    now = datetime.now(UTC)
    meta = sa.MetaData()
    types = sa.Table("incident_types", meta, autoload_with=op.get_bind())
    severities = sa.Table("severity_levels", meta, autoload_with=op.get_bind())
    roles = sa.Table("incident_role_types", meta, autoload_with=op.get_bind())
    op.bulk_insert(types, [
        {"id": new_id(), "key": key, "name": name, "description": description,
         "restricted_by_default": restricted, "builtin": True, "created_at": now}
        for key, name, description, restricted in TYPES
    ])  # fmt: skip
    op.bulk_insert(severities, [
        {"level": level, "name": f"SEV{level}", "label": label, "description": description,
         "update_cadence_minutes": cadence, "requires_commander": commander, "updated_at": now}
        for level, label, description, cadence, commander in SEVERITIES
    ])  # fmt: skip
    op.bulk_insert(roles, [
        {"id": new_id(), "key": key, "name": name, "instructions": instructions,
         "position": i * 10, "builtin": True, "created_at": now}
        for i, (key, name, instructions) in enumerate(ROLE_TYPES)
    ])  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("sees_restricted")

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("public_name")
        batch_op.drop_column("public")

    with op.batch_alter_table("incident_alert_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_alert_groups_incident_id"))

    op.drop_table("incident_alert_groups")
    with op.batch_alter_table("incident_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_services_service_id"))

    op.drop_table("incident_services")
    with op.batch_alter_table("incident_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_tasks_incident_id"))
        batch_op.drop_index("ix_incident_tasks_due")

    op.drop_table("incident_tasks")
    with op.batch_alter_table("incident_status_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_status_updates_incident")

    op.drop_table("incident_status_updates")
    with op.batch_alter_table("incident_role_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_role_assignments_user_id"))
        batch_op.drop_index("ix_incident_role_assignments_open")

    op.drop_table("incident_role_assignments")
    with op.batch_alter_table("incident_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_participants_user")
        batch_op.drop_index(batch_op.f("ix_incident_participants_incident_id"))

    op.drop_table("incident_participants")
    with op.batch_alter_table("incident_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_notes_incident_id"))

    op.drop_table("incident_notes")
    op.drop_table("incident_key_events")
    with op.batch_alter_table("incident_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_attachments_sha256"))
        batch_op.drop_index(batch_op.f("ix_incident_attachments_incident_id"))

    op.drop_table("incident_attachments")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_type_key"))
        batch_op.drop_index("ix_incidents_status_declared")
        batch_op.drop_index("ix_incidents_severity_declared")
        batch_op.drop_index(batch_op.f("ix_incidents_next_update_due_at"))
        batch_op.drop_index(batch_op.f("ix_incidents_merged_into_id"))
        batch_op.drop_index("ix_incidents_declared")

    op.drop_table("incidents")
    with op.batch_alter_table("incident_saved_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_saved_views_user_id"))

    op.drop_table("incident_saved_views")
    op.drop_table("severity_levels")
    op.drop_table("incident_webhooks")
    op.drop_table("incident_types")
    with op.batch_alter_table("incident_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_subscriptions_scope")

    op.drop_table("incident_subscriptions")
    op.drop_table("incident_role_types")
