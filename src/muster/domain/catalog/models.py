"""Services (and later dependencies, sites, zones and assets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column
from muster.domain.accounts.models import Team


class Service(Base):
    __tablename__ = "services"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(2000), default="")
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]
    # Alert handling: how alerts are grouped, and when re-triggering counts as flapping.
    alert_grouping: Mapped[dict[str, Any]] = mapped_column(default=lambda: {"mode": "none"})
    flap_threshold: Mapped[int] = mapped_column(Integer, default=5)
    flap_window_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # Paging: the escalation policy that pages for this service's alert groups, and which
    # alerts are low urgency (see muster.domain.escalation.urgency).
    escalation_policy_id: Mapped[str | None] = mapped_column(
        ForeignKey("escalation_policies.id"), index=True
    )
    urgency_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The public status page: a public service is a component there, under its public name.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_name: Mapped[str] = mapped_column(String(120), default="")
    # Set on what a drill run creates (muster.domain.exercises); None for real work.
    exercise_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # The site (building) the service runs at or belongs to, if any.
    site_id: Mapped[str | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )

    team: Mapped[Team] = relationship()
