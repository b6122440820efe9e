"""Correlation tables: site correlation rules and their matches (which site events made
each), the observables of security alerts, and the groups of alerts that share one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column


class CorrelationRule(Base):
    """ "Site events of ``kinds`` at the same site (or zone) within ``window_minutes`` →
    one alert or one incident". ``outcome`` ``alert``: an alert of ``alert_severity`` on
    ``service_id``; ``incident``: an incident of ``incident_type`` and
    ``incident_severity`` (on ``service_id`` if set), with ``playbook_key`` started."""

    __tablename__ = "correlation_rules"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    kinds: Mapped[list[Any]]
    scope: Mapped[str] = mapped_column(String(10))  # zone | site
    restricted_only: Mapped[bool] = mapped_column(Boolean, default=False)
    window_minutes: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10))  # alert | incident
    title: Mapped[str] = mapped_column(String(200))
    alert_severity: Mapped[str] = mapped_column(String(10), default="critical")
    service_id: Mapped[str | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    incident_type: Mapped[str | None] = mapped_column(String(40))
    incident_severity: Mapped[int | None] = mapped_column(Integer)
    playbook_key: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CorrelationMatch(Base):
    """One firing of a rule: the site (and zone), the span of the events that made it,
    and the alert or incident it raised. Later events of the rule's kinds in the same
    place and window join it rather than raising another."""

    __tablename__ = "correlation_matches"
    __table_args__ = (
        Index("ix_correlation_matches_rule_place", "rule_id", "site_id", "last_event_at"),
    )

    id: Mapped[str] = id_column()
    rule_id: Mapped[str | None] = mapped_column(
        ForeignKey("correlation_rules.id", ondelete="SET NULL")
    )
    rule_name: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    zone_id: Mapped[str | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    first_event_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    matched_at: Mapped[datetime]
    alert_id: Mapped[str | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )


class CorrelationMatchEvent(Base):
    """A site event that made (or later joined) a match."""

    __tablename__ = "correlation_match_events"

    match_id: Mapped[str] = mapped_column(
        ForeignKey("correlation_matches.id", ondelete="CASCADE"), primary_key=True
    )
    site_event_id: Mapped[str] = mapped_column(
        ForeignKey("site_events.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime]


class AlertObservable(Base):
    """A value extracted from a security alert (normalised as incidents' observables)."""

    __tablename__ = "alert_observables"
    __table_args__ = (Index("ix_alert_observables_value_seen", "kind", "value", "seen_at"),)

    id: Mapped[str] = id_column()
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(2048))
    seen_at: Mapped[datetime]


class AlertCluster(Base):
    """Security alerts, of any tool and service, grouped because they share an
    observable within the window (:class:`CorrelationSettings`)."""

    __tablename__ = "alert_clusters"

    id: Mapped[str] = id_column()
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)


class AlertClusterMember(Base):
    """An alert in a cluster, and why: the observables (``[{kind, value}]``) it shares
    with ``via_alert_id`` (empty, and None, for the alert the cluster started from)."""

    __tablename__ = "alert_cluster_members"

    alert_id: Mapped[str] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[str] = mapped_column(
        ForeignKey("alert_clusters.id", ondelete="CASCADE"), index=True
    )
    shared: Mapped[list[Any]]
    via_alert_id: Mapped[str | None] = mapped_column(String(36))
    joined_at: Mapped[datetime]


class CorrelationSettings(Base):
    """How security alerts are grouped (one row, id ``default``): the window, the
    observable kinds that group, and the values too common to group by (``ignored``)."""

    __tablename__ = "correlation_settings"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    window_minutes: Mapped[int] = mapped_column(Integer)
    kinds: Mapped[list[Any]]
    ignored: Mapped[list[Any]]
    updated_at: Mapped[datetime]
