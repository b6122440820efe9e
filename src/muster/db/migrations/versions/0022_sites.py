"""sites, zones, devices, site events; site placement of services, assets, alerts, incidents

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import muster.db.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

UTC = muster.db.base.UTCDateTime(timezone=True)
JSON = muster.db.base.JSONType

# Tables that gain a site_id (nullable, SET NULL when the site goes).
_PLACED = ("services", "affected_assets", "alerts", "incidents")


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_zones_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
        sa.UniqueConstraint("site_id", "name", name="uq_zones_site_name"),
    )
    op.create_index(op.f("ix_zones_site_id"), "zones", ["site_id"], unique=False)
    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=True),
        sa.Column("last_event_at", UTC, nullable=True),
        sa.Column("last_status_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_devices_site_id_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_devices_zone_id_zones"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("site_id", "kind", "external_id", name="uq_devices_external"),
    )
    op.create_index(op.f("ix_devices_site_id"), "devices", ["site_id"], unique=False)
    op.create_index(op.f("ix_devices_zone_id"), "devices", ["zone_id"], unique=False)
    op.create_index("ix_devices_external_id", "devices", ["external_id"], unique=False)
    op.create_table(
        "site_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("site_id", sa.String(length=36), nullable=False),
        sa.Column("zone_id", sa.String(length=36), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("integration_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("identity", sa.String(length=255), nullable=True),
        sa.Column("identity_kind", sa.String(length=20), nullable=True),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=True),
        sa.Column("correlated_at", UTC, nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_site_events_site_id_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
            name=op.f("fk_site_events_zone_id_zones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_site_events_device_id_devices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_site_events_integration_id_integrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_site_events_alert_id_alerts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_events")),
    )
    op.create_index("ix_site_events_site_time", "site_events", ["site_id", "occurred_at"])
    op.create_index("ix_site_events_zone_time", "site_events", ["zone_id", "occurred_at"])
    op.create_index("ix_site_events_identity_time", "site_events", ["identity", "occurred_at"])
    op.create_index("ix_site_events_alert", "site_events", ["alert_id"])
    op.create_index("ix_site_events_correlated", "site_events", ["correlated_at", "received_at"])

    for table in _PLACED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("site_id", sa.String(length=36), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_site_id"), ["site_id"], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_site_id_sites"),
                "sites",
                ["site_id"],
                ["id"],
                ondelete="SET NULL",
            )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zone_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_alerts_zone_id"), ["zone_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_zone_id_zones"), "zones", ["zone_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_alerts_zone_id_zones"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_alerts_zone_id"))
        batch_op.drop_column("zone_id")
    for table in reversed(_PLACED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_site_id_sites"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_site_id"))
            batch_op.drop_column("site_id")
    op.drop_table("site_events")
    op.drop_table("devices")
    op.drop_table("zones")
    op.drop_table("sites")
