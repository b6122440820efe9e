"""correlation rules and matches; observable grouping

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import muster.db.base

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(length=36), nullable=False)


def upgrade() -> None:
    op.create_table(
        "correlation_rules",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("kinds", JSON, nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("restricted_only", sa.Boolean(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("alert_severity", sa.String(length=10), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=True),
        sa.Column("incident_type", sa.String(length=40), nullable=True),
        sa.Column("incident_severity", sa.Integer(), nullable=True),
        sa.Column("playbook_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_correlation_rules_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_correlation_rules_name")),
    )
    op.create_table(
        "correlation_matches",
        _id(),
        sa.Column("rule_id", sa.String(length=36), nullable=True),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=True),
        sa.Column("first_event_at", UTC, nullable=False),
        sa.Column("last_event_at", UTC, nullable=False),
        sa.Column("matched_at", UTC, nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=True),
        sa.Column("incident_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["correlation_rules.id"],
            name=op.f("fk_correlation_matches_rule_id_correlation_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_correlation_matches_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
            name=op.f("fk_correlation_matches_zone_id_zones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_correlation_matches_alert_id_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_correlation_matches_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_matches")),
    )
    op.create_index(
        "ix_correlation_matches_rule_place",
        "correlation_matches",
        ["rule_id", "site_id", "last_event_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_correlation_matches_alert_id"), "correlation_matches", ["alert_id"], unique=False
    )
    op.create_index(
        op.f("ix_correlation_matches_incident_id"),
        "correlation_matches",
        ["incident_id"],
        unique=False,
    )
    op.create_table(
        "correlation_match_events",
        sa.Column("match_id", sa.String(length=36), nullable=False),
        sa.Column("site_event_id", sa.String(length=36), nullable=False),
        sa.Column("joined_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["correlation_matches.id"],
            name=op.f("fk_correlation_match_events_match_id_correlation_matches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_event_id"],
            ["site_events.id"],
            name=op.f("fk_correlation_match_events_site_event_id_site_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "match_id", "site_event_id", name=op.f("pk_correlation_match_events")
        ),
    )
    op.create_index(
        op.f("ix_correlation_match_events_site_event_id"),
        "correlation_match_events",
        ["site_event_id"],
        unique=False,
    )
    op.create_table(
        "alert_observables",
        _id(),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("seen_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_observables_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_observables")),
    )
    op.create_index(
        op.f("ix_alert_observables_alert_id"), "alert_observables", ["alert_id"], unique=False
    )
    op.create_index(
        "ix_alert_observables_value_seen",
        "alert_observables",
        ["kind", "value", "seen_at"],
        unique=False,
    )
    op.create_table(
        "alert_clusters",
        _id(),
        sa.Column("first_seen", UTC, nullable=False),
        sa.Column("last_seen", UTC, nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_clusters")),
    )
    op.create_index(
        op.f("ix_alert_clusters_last_seen"), "alert_clusters", ["last_seen"], unique=False
    )
    op.create_table(
        "alert_cluster_members",
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("cluster_id", sa.String(length=36), nullable=False),
        sa.Column("shared", JSON, nullable=False),
        sa.Column("via_alert_id", sa.String(length=36), nullable=True),
        sa.Column("joined_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_cluster_members_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["alert_clusters.id"],
            name=op.f("fk_alert_cluster_members_cluster_id_alert_clusters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_cluster_members")),
    )
    op.create_index(
        op.f("ix_alert_cluster_members_cluster_id"),
        "alert_cluster_members",
        ["cluster_id"],
        unique=False,
    )
    op.create_table(
        "correlation_settings",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("kinds", JSON, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correlation_settings")),
    )


def downgrade() -> None:
    op.drop_table("correlation_settings")
    op.drop_index(op.f("ix_alert_cluster_members_cluster_id"), table_name="alert_cluster_members")
    op.drop_table("alert_cluster_members")
    op.drop_index(op.f("ix_alert_clusters_last_seen"), table_name="alert_clusters")
    op.drop_table("alert_clusters")
    op.drop_index("ix_alert_observables_value_seen", table_name="alert_observables")
    op.drop_index(op.f("ix_alert_observables_alert_id"), table_name="alert_observables")
    op.drop_table("alert_observables")
    op.drop_index(
        op.f("ix_correlation_match_events_site_event_id"), table_name="correlation_match_events"
    )
    op.drop_table("correlation_match_events")
    op.drop_index(op.f("ix_correlation_matches_incident_id"), table_name="correlation_matches")
    op.drop_index(op.f("ix_correlation_matches_alert_id"), table_name="correlation_matches")
    op.drop_index("ix_correlation_matches_rule_place", table_name="correlation_matches")
    op.drop_table("correlation_matches")
    op.drop_table("correlation_rules")
