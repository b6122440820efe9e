"""Investigation tables: an incident's observables, affected assets and ATT&CK
techniques. Every change is also an event on the incident's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column


class Observable(Base):
    """A typed value seen in an incident (an IP, a domain, a hash ...), stored normalised
    (:mod:`muster.domain.investigation.kinds`) so one value is one row per incident, and
    searchable across incidents by ``(kind, value)``.

    ``source``: ``alert`` / ``note`` (extracted automatically) or ``manual``."""

    __tablename__ = "observables"
    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "value", name="uq_observables_value"),
        Index("ix_observables_kind_value", "kind", "value"),
        Index("ix_observables_value", "value"),
    )

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(2048))
    tlp: Mapped[str] = mapped_column(String(20), default="AMBER")
    ioc: Mapped[bool] = mapped_column(Boolean, default=False)
    sighted: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10))
    source_ref: Mapped[str | None] = mapped_column(String(36))  # the alert or note id
    first_seen: Mapped[datetime]
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime]


class AffectedAsset(Base):
    """A host, account, device, door or camera touched by an incident, with its
    compromise status (``tbd``, ``compromised``, ``not_compromised``, ``restored``)."""

    __tablename__ = "affected_assets"

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    identifier: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(320))
    status_changed_at: Mapped[datetime]
    status_changed_by: Mapped[str] = mapped_column(String(320))
    site_id: Mapped[str | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), index=True
    )


class IncidentTechnique(Base):
    """A MITRE ATT&CK technique observed in an incident, under one of its tactics."""

    __tablename__ = "incident_techniques"
    __table_args__ = (
        UniqueConstraint(
            "incident_id", "technique_id", "tactic", name="uq_incident_techniques_technique"
        ),
    )

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    technique_id: Mapped[str] = mapped_column(String(12))
    tactic: Mapped[str] = mapped_column(String(40))
    observed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime]
    added_by: Mapped[str] = mapped_column(String(320))
