"""The event log: one append-only table that is at once timeline, audit log and feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base

# SQLite only auto-increments INTEGER PRIMARY KEY columns.
PositionType = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One thing that happened. Rows are never updated, and deleted only by retention,
    which prunes the whole stream of what it removed and seals it with a checkpoint
    (:mod:`muster.domain.events.checkpoint`).

    ``position`` orders the whole log (the engine's feed cursor); ``stream``/``seq`` and
    ``prev_hash``/``hash`` form one hash chain per stream (e.g. ``team:<id>``).
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("stream", "seq", name="uq_events_stream_seq"),
        Index("ix_events_subject", "subject_type", "subject_id", "position"),
        Index("ix_events_occurred_at", "occurred_at"),  # the audit view's time range
        Index("ix_events_actor", "actor_id", "position"),  # the audit view's actor filter
    )

    position: Mapped[int] = mapped_column(PositionType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    stream: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(80), index=True)
    occurred_at: Mapped[datetime]
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_label: Mapped[str] = mapped_column(String(320))
    via: Mapped[str] = mapped_column(String(20))
    token_id: Mapped[str | None] = mapped_column(String(36))
    ip: Mapped[str | None] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(36))
    data: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class EventStream(Base):
    """The head of one hash chain; locked while appending so links never fork."""

    __tablename__ = "event_streams"

    stream: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class EventCursor(Base):
    """How far a reaction has read the log: durable, so a restart resumes."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
