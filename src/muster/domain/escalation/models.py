"""Escalation policies (ordered levels of targets) and the running escalation of each
alert group, whose ``next_due_at`` is the engine's timer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column

# Every status an escalation can be in; only "active" and "snoozed" page on their own,
# "acknowledged" only when an ack timeout is set.
ESCALATION_STATUSES = ("active", "acknowledged", "resolved", "exhausted", "snoozed")


class EscalationPolicy(Base):
    """Who is paged, in which order, how often: levels run in turn, the whole list
    ``repeat_count`` more times after the first pass."""

    __tablename__ = "escalation_policies"
    __table_args__ = (CheckConstraint("repeat_count BETWEEN 0 AND 9", name="repeat_count_range"),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    # Re-trigger a group acknowledged but not resolved after this many minutes.
    ack_timeout_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    levels: Mapped[list[EscalationLevel]] = relationship(
        back_populates="policy", order_by="EscalationLevel.position", cascade="all, delete-orphan"
    )


class EscalationLevel(Base):
    """One level: its ``targets`` are notified, then ``delay_minutes`` later the next level.

    ``targets`` is a list of ``{"type": "user" | "schedule" | "team", "id": ...}``.
    """

    __tablename__ = "escalation_levels"
    __table_args__ = (
        UniqueConstraint("policy_id", "position", name="uq_escalation_levels_position"),
        CheckConstraint("delay_minutes >= 1", name="delay_positive"),
    )

    id: Mapped[str] = id_column()
    policy_id: Mapped[str] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    delay_minutes: Mapped[int] = mapped_column(Integer)
    targets: Mapped[list[Any]]

    policy: Mapped[EscalationPolicy] = relationship(back_populates="levels")


class Escalation(Base):
    """The escalation of one alert group.

    ``policy`` is a snapshot taken when paging started (see ``snapshot.py``): editing the
    policy later never changes a running escalation. ``level_index`` (0-based) is the
    level reached at ``next_due_at``; ``loop`` counts passes (0 is the first).
    ``reached_level_index`` is the level notified last (None before the first).
    ``next_due_at`` is the one timer the engine claims, whatever the status:
    the next level (active), the end of a snooze (snoozed), the ack timeout
    (acknowledged, then also in ``ack_timeout_due_at``), support hours starting
    (a held low-urgency escalation); None when nothing is due.
    """

    __tablename__ = "escalations"

    id: Mapped[str] = id_column()
    group_id: Mapped[str] = mapped_column(ForeignKey("alert_groups.id"), unique=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)
    policy_id: Mapped[str | None] = mapped_column(ForeignKey("escalation_policies.id"), index=True)
    policy: Mapped[dict[str, Any]]
    level_index: Mapped[int] = mapped_column(Integer, default=0)
    loop: Mapped[int] = mapped_column(Integer, default=0)
    reached_level_index: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    ack_timeout_due_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    held_until_support_hours: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
