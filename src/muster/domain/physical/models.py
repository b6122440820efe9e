"""Tables of physical-security intake: Frigate's tracked objects (to link each object's
trail to the alert of its review), the state of each MQTT subscription, and the attempts
at fetching Frigate files as incident evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column


class FrigateObject(Base):
    """One object Frigate tracked (its ``frigate/events`` id): the review it belongs to,
    the alert that review raised, and the site events recorded of it so far."""

    __tablename__ = "frigate_objects"
    __table_args__ = (
        UniqueConstraint("integration_id", "event_id", name="uq_frigate_objects_event"),
        Index("ix_frigate_objects_review", "integration_id", "review_id"),
    )

    id: Mapped[str] = id_column()
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(100))
    review_id: Mapped[str | None] = mapped_column(String(100))
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    camera: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(100))
    identity: Mapped[str | None] = mapped_column(String(255))
    zones: Mapped[list[Any]] = mapped_column(default=list)
    site_event_ids: Mapped[list[Any]] = mapped_column(default=list)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class MqttConnection(Base):
    """Whether the subscriber of an MQTT integration is connected to its broker, as the
    process running it last reported (``seen_at``: a subscriber that stops reporting is
    shown as stale)."""

    __tablename__ = "mqtt_connections"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    node: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    last_message_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class FrigateMediaFetch(Base):
    """A Frigate file being fetched for an incident and not yet settled (kept or given up
    on): the attempts started so far and when the next may start (while one is under way:
    its deadline, so that a worker dying mid-fetch leaves it to be tried again then)."""

    __tablename__ = "frigate_media_fetches"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    filename: Mapped[str] = mapped_column(String(300), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
