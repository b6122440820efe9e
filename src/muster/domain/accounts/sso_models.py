"""Single sign-on: who a provider says someone is, and how its groups map to roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from muster.db.base import Base, id_column
from muster.domain.accounts.models import Team, User


class SsoIdentity(Base):
    """One provider account (issuer + subject) linked to one Muster user."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identities_subject"),)

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class SsoGroupRule(Base):
    """Members of ``group_name`` get ``account_role`` and/or ``team_role`` in ``team_id``.

    Rules are applied at every SSO login, in ``position`` order."""

    __tablename__ = "sso_group_rules"

    id: Mapped[str] = id_column()
    group_name: Mapped[str] = mapped_column(String(200), index=True)
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    team_role: Mapped[str | None] = mapped_column(String(20))  # member | manager
    account_role: Mapped[str | None] = mapped_column(String(20))  # viewer ... admin
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship()
