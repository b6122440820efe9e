"""Evidence on an incident, legal holds and retention's own records.

An :class:`EvidenceItem` is never altered once collected: a correction is a new item that
supersedes it (``supersedes_id`` / ``superseded_by_id``), and what happens to it later —
views, downloads, transfers, verifications, disposal, deletion — is its custody log, the
events on its own hash-chained stream ``evidence:<id>``. The row's mutable columns only
mirror that log for listing (status, custodian, last verification) and keep a tombstone
when the bytes are removed (deleted or disposed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column

STATUSES = ("active", "superseded", "disposed", "deleted")


class EvidenceItem(Base):
    """A file (bytes in the evidence store under ``storage_key``) or an external
    reference (``external_uri``, with the collector's hash and size if known), numbered
    per incident (shown as ``EV-<number>``)."""

    __tablename__ = "evidence_items"
    __table_args__ = (
        UniqueConstraint("incident_id", "number", name="uq_evidence_items_number"),
        Index("ix_evidence_items_status", "status"),
    )

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # file | external
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str | None] = mapped_column(String(300))
    media_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    storage_key: Mapped[str | None] = mapped_column(String(200))
    external_uri: Mapped[str | None] = mapped_column(String(2000))
    source: Mapped[str] = mapped_column(String(300), default="")
    collected_by: Mapped[str] = mapped_column(String(320))
    collected_at: Mapped[datetime]
    custodian: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    supersedes_id: Mapped[str | None] = mapped_column(String(36))
    superseded_by_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="active")
    disposed_at: Mapped[datetime | None]
    disposed_by: Mapped[str | None] = mapped_column(String(320))
    disposal_reason: Mapped[str | None] = mapped_column(Text)
    disposal_method: Mapped[str | None] = mapped_column(String(200))
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[str | None] = mapped_column(String(320))
    deleted_reason: Mapped[str | None] = mapped_column(Text)
    last_verified_at: Mapped[datetime | None]
    last_verify_ok: Mapped[bool | None] = mapped_column(Boolean)

    @property
    def label(self) -> str:
        return f"EV-{self.number}"

    @property
    def has_bytes(self) -> bool:
        return self.kind == "file" and self.storage_key is not None


class LegalHold(Base):
    """A legal hold on an incident: while one is unreleased, nothing of the incident is
    deleted (retention skips it; deleting or disposing of its evidence is refused)."""

    __tablename__ = "legal_holds"

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    placed_at: Mapped[datetime]
    placed_by: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(320))
    release_reason: Mapped[str | None] = mapped_column(Text)


class RetentionPurge(Base):
    """Something retention removed: an attachment's bytes, a message's body, an evidence
    item's bytes (``kind`` + ``ref_id``), so it is not attempted again."""

    __tablename__ = "retention_purges"
    __table_args__ = (UniqueConstraint("kind", "ref_id", name="uq_retention_purges_ref"),)

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # attachment | message | evidence
    ref_id: Mapped[str] = mapped_column(String(36))
    purged_at: Mapped[datetime]


class RetentionRun(Base):
    """One pass of retention (the engine runs it at most hourly; the CLI on demand).
    ``complete`` is False when a kind had more due than one batch: the engine then goes
    on at its next tick instead of waiting the hour."""

    __tablename__ = "retention_runs"

    id: Mapped[str] = id_column()
    ran_at: Mapped[datetime] = mapped_column(index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]]
    complete: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
