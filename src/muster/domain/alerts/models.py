"""Integrations, alerts, alert groups, routing rules and maintenance windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column
from muster.domain.catalog.models import Service

OPEN_STATUSES = ("triggered", "acknowledged")
SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3, "critical": 4}


class Integration(Base):
    """A door into a service: a type (alertmanager, pagerduty, ...) and a secret key."""

    __tablename__ = "integrations"

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    config: Mapped[dict[str, Any]]
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_received_at: Mapped[datetime | None]
    # Heartbeats: when the next ping is due (plus grace) and whether it is overdue.
    heartbeat_due_at: Mapped[datetime | None] = mapped_column(index=True)
    heartbeat_down: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set on what a drill run creates (muster.domain.exercises); None for real work.
    exercise_run_id: Mapped[str | None] = mapped_column(String(36), index=True)

    service: Mapped[Service] = relationship()


class AlertGroup(Base):
    """What is paged and escalated: one or more alerts of a service grouped together."""

    __tablename__ = "alert_groups"
    __table_args__ = (Index("ix_alert_groups_service_status", "service_id", "status", "group_key"),)

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    group_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # triggered | acknowledged | resolved
    severity: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(String(1024))
    alert_count: Mapped[int] = mapped_column(Integer, default=1)
    pages: Mapped[bool] = mapped_column(Boolean)  # False when suppressed or flapping
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(320))

    service: Mapped[Service] = relationship()
    alerts: Mapped[list[Alert]] = relationship(
        back_populates="alert_group", order_by="Alert.first_seen"
    )


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # At most one open alert per dedup key and service: de-duplication holds even
        # when two requests race.
        Index(
            "uq_alerts_open_dedup",
            "service_id",
            "dedup_key",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_alerts_service_dedup_seen", "service_id", "dedup_key", "first_seen"),
        # The alert list: newest first, by status, by service and status, or over all
        # (migration 0011); the id makes the keyset order total.
        Index("ix_alerts_status_seen", "status", "last_seen", "id"),
        Index("ix_alerts_seen", "last_seen", "id"),
        Index("ix_alerts_service_status_seen", "service_id", "status", "last_seen", "id"),
    )

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    integration_id: Mapped[str | None] = mapped_column(ForeignKey("integrations.id"), index=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("alert_groups.id"), index=True)
    dedup_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(String(1024))
    details: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(1024), default="")
    component: Mapped[str | None] = mapped_column(String(1024))
    group_name: Mapped[str | None] = mapped_column(String(1024))
    class_name: Mapped[str | None] = mapped_column(String(1024))
    labels: Mapped[dict[str, Any]]
    custom_details: Mapped[dict[str, Any]]
    links: Mapped[list[Any]]
    images: Mapped[list[Any]]
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    occurred_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(320))
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(320))
    suppressed_reason: Mapped[str | None] = mapped_column(String(200))
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[dict[str, Any]]
    # Set on what a drill run creates (muster.domain.exercises); None for real work.
    exercise_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Where it happened (muster.domain.sites.placement): the device's site and zone, else
    # the service's site.
    site_id: Mapped[str | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )
    zone_id: Mapped[str | None] = mapped_column(
        ForeignKey("zones.id", ondelete="SET NULL"), index=True
    )

    service: Mapped[Service] = relationship()
    integration: Mapped[Integration | None] = relationship()
    alert_group: Mapped[AlertGroup] = relationship(back_populates="alerts")


class RoutingRule(Base):
    """Global, ordered: the first enabled rule whose conditions hold decides."""

    __tablename__ = "routing_rules"

    id: Mapped[str] = id_column()
    position: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    match: Mapped[str] = mapped_column(String(3), default="all")  # all | any
    conditions: Mapped[list[Any]]
    actions: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_service_time", "service_id", "starts_at", "ends_at"),)

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    cancelled_at: Mapped[datetime | None]
