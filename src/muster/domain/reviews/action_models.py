"""Action items: the follow-up tasks an incident (or its review) leaves behind, tracked
to done across incidents (:mod:`muster.domain.reviews.actions`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column


class ActionItem(Base):
    """One follow-up, shown as ``AI-<number>`` (numbered across all incidents).

    ``kind``: prevent, detect, mitigate, process. ``priority``: P1 (most urgent) to P4.
    ``status``: open, in_progress, done, wont_do (with ``wont_do_reason``). ``team_id`` is
    the team answerable for it (default: the owner's first team, else the team of the
    incident's first service). ``reminded_on`` is the UTC day of the last overdue
    reminder (at most one a day). ``review_id`` names the review it came from, if any."""

    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_status_due", "status", "due_on"),
        Index("ix_action_items_team_status", "team_id", "status"),
    )

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    review_id: Mapped[str | None] = mapped_column(String(36))
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(12))
    priority: Mapped[str] = mapped_column(String(2))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(320))
    wont_do_reason: Mapped[str | None] = mapped_column(Text)
    tracker_url: Mapped[str | None] = mapped_column(String(2000))
    tracker_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]
    reminded_on: Mapped[date | None] = mapped_column(Date)
