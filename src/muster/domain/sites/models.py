"""Site tables: sites, zones, devices and site events (what physical-security devices
report, alerting or not: an access granted is a site event, a door forced open is a site
event and an alert)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column

# What a device is.
DEVICE_KINDS = ("camera", "door", "sensor", "network_segment", "host")


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    # The drill run whose exercise site this is (muster.domain.drills.exercise_site);
    # None for a real site. Removed with the run's cleanup.
    exercise_run_id: Mapped[str | None] = mapped_column(String(36), index=True)


class Zone(Base):
    """A part of a site (``restricted``: a server room, a vault)."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("site_id", "name", name="uq_zones_site_name"),)

    id: Mapped[str] = id_column()
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Device(Base):
    """A camera, door reader/controller, sensor, network segment or host placed at a site
    (and in a zone). ``external_id`` is the name the device's system uses for it (a
    Frigate camera name, a door id, a CIDR for a network segment, a host name);
    ``online`` / ``last_event_at`` are its health as its reports say."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("site_id", "kind", "external_id", name="uq_devices_external"),
        Index("ix_devices_external_id", "external_id"),
    )

    id: Mapped[str] = id_column()
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    zone_id: Mapped[str | None] = mapped_column(
        ForeignKey("zones.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(255))
    online: Mapped[bool | None] = mapped_column(Boolean)
    last_event_at: Mapped[datetime | None]
    last_status_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SiteEvent(Base):
    """One thing a physical-security device reported, placed at its site (and zone).

    ``kind`` is from the built-in vocabulary (``access_granted``, ``access_denied``,
    ``door_forced_open``, ``door_held_open``, ``tailgating_detected``, ``tamper``,
    ``controller_offline``, ``lockdown``) or ``detected:<label>`` for a camera detection
    (``detected:person``, ``detected:car``). ``identity`` is who or what was recognised (a
    badge holder, a face, a licence plate; ``identity_kind``: ``badge`` / ``face`` /
    ``plate``). ``alert_id`` is the alert it raised or updated, if any.
    ``correlated_at`` is set by the correlation module once the event was considered."""

    __tablename__ = "site_events"
    __table_args__ = (
        Index("ix_site_events_site_time", "site_id", "occurred_at"),
        Index("ix_site_events_zone_time", "zone_id", "occurred_at"),
        Index("ix_site_events_identity_time", "identity", "occurred_at"),
        Index("ix_site_events_alert", "alert_id"),
        Index("ix_site_events_correlated", "correlated_at", "received_at"),
    )

    id: Mapped[str] = id_column()
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    zone_id: Mapped[str | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    integration_id: Mapped[str | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(60))
    identity: Mapped[str | None] = mapped_column(String(255))
    identity_kind: Mapped[str | None] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    correlated_at: Mapped[datetime | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
