"""Post-incident reviews: one review per incident (Markdown, optimistic locking by
``version``), the admin-editable templates they start from, participants' feedback and
the review policy (which incidents require a review, and by when).

Commands live in :mod:`muster.domain.reviews.review_service`; the default template and
policy are seeded by migration 0018.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column

STATUSES = ("draft", "in_review", "approved", "published")


class ReviewTemplate(Base):
    """A review's starting text. It applies to the incident types in ``type_keys`` and
    the severities in ``severities`` (empty: any); the most specific match wins, else
    the built-in default. ``body`` may hold ``{{placeholders}}`` filled at creation."""

    __tablename__ = "review_templates"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    type_keys: Mapped[list[Any]] = mapped_column(default=list)
    severities: Mapped[list[Any]] = mapped_column(default=list)
    body: Mapped[str] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_status_due", "status", "due_at"),)

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    template_id: Mapped[str | None] = mapped_column(
        ForeignKey("review_templates.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(12), default="draft")
    body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    meeting_at: Mapped[datetime | None]
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(320))
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(320))
    published_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the last reminder (at most one a day)


class ReviewFeedback(Base):
    """One participant's answer: how the response went (1-5) and a comment."""

    __tablename__ = "review_feedback"
    __table_args__ = (UniqueConstraint("review_id", "user_id", name="uq_review_feedback_user"),)

    id: Mapped[str] = id_column()
    review_id: Mapped[str] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReviewPolicy(Base):
    """The one policy row (id ``default``): incidents of the ``severities`` or of the
    ``type_keys`` require a review, due ``due_business_days`` business days (weekends
    excluded, no holiday calendar) after resolution."""

    __tablename__ = "review_policy"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    severities: Mapped[list[Any]] = mapped_column(default=list)
    type_keys: Mapped[list[Any]] = mapped_column(default=list)
    due_business_days: Mapped[int] = mapped_column(Integer, default=5)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(320))
