"""Schedules (layers of rotation versions, overrides, temporary schedules) and calendar feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column
from muster.domain.accounts.models import Team


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship()
    layers: Mapped[list[ScheduleLayer]] = relationship(
        back_populates="schedule", order_by="ScheduleLayer.rank"
    )
    eras: Mapped[list[ScheduleEra]] = relationship(
        order_by="ScheduleEra.until", cascade="all, delete-orphan"
    )


class ScheduleEra(Base):
    """How the schedule read before ``until`` (from the previous era's ``until``): its
    zone and every layer's rank then (``ranks``: layer id → rank). The schedule's own
    ``time_zone`` and its layers' ``rank`` hold after its last era.

    Reordering layers or changing the zone from a time ends the era in force then, as
    editing a rotation ends its version, so who was on call before stays true.
    """

    __tablename__ = "schedule_eras"

    id: Mapped[str] = id_column()
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id"), index=True)
    until: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64))
    ranks: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ScheduleLayer(Base):
    """A ranked layer; higher ``rank`` wins. Its rotation is a list of versions."""

    __tablename__ = "schedule_layers"

    id: Mapped[str] = id_column()
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    rank: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    schedule: Mapped[Schedule] = relationship(back_populates="layers")
    versions: Mapped[list[RotationVersion]] = relationship(
        back_populates="layer", order_by="RotationVersion.created_at"
    )


class RotationVersion(Base):
    """One version of a layer's rotation, in force over [effective_from, effective_until).

    Editing a rotation ends the current version and adds a new one, so the past stays true.
    ``restrictions`` is a list of ``{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}``.
    """

    __tablename__ = "rotation_versions"

    id: Mapped[str] = id_column()
    layer_id: Mapped[str] = mapped_column(ForeignKey("schedule_layers.id"), index=True)
    participants: Mapped[list[Any]]
    start: Mapped[datetime]
    turn_length: Mapped[int] = mapped_column(Integer)
    turn_unit: Mapped[str] = mapped_column(String(10))
    restrictions: Mapped[list[Any]]
    effective_from: Mapped[datetime | None]
    effective_until: Mapped[datetime | None]
    created_at: Mapped[datetime]

    layer: Mapped[ScheduleLayer] = relationship(back_populates="versions")


class ScheduleOverride(Base):
    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_schedule_overrides_window", "schedule_id", "ends_at", "starts_at"),)

    id: Mapped[str] = id_column()
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    cancelled_at: Mapped[datetime | None]
    swap_id: Mapped[str | None] = mapped_column(String(36))  # the two halves of a shift swap


class TemporarySchedule(Base):
    """Replaces every layer over [starts_at, ends_at); ``shifts`` is a list of
    ``{"user_id", "start", "end"}`` (RFC 3339)."""

    __tablename__ = "temporary_schedules"

    id: Mapped[str] = id_column()
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    shifts: Mapped[list[Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    cancelled_at: Mapped[datetime | None]


class CalendarFeed(Base):
    """A secret iCalendar URL for a schedule or a user; revocable."""

    __tablename__ = "calendar_feeds"

    id: Mapped[str] = id_column()
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # schedule | user
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
