"""Services (and later dependencies, sites, zones and assets)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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

    team: Mapped[Team] = relationship()
