"""Audit forwarders: where the event log is streamed to (a SIEM), and how far it got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column


class AuditForwarder(Base):
    """One destination of the audit stream.

    ``position`` is the event log position up to which every event has been delivered
    (or skipped by the type filter): a restart resumes after it. A batch in flight is
    held by ``claim`` until ``claimed_until``; a failed batch is retried from
    ``position`` at ``retry_at`` (exponential backoff), so an event is never skipped.
    """

    __tablename__ = "audit_forwarders"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # webhook | syslog
    # webhook: the URL; syslog: host, port and transport (udp | tcp | tls).
    url: Mapped[str | None] = mapped_column(String(2000))
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    transport: Mapped[str | None] = mapped_column(String(10))
    tls_ca_pem: Mapped[str | None] = mapped_column(Text)  # trust anchor for tls; None: system
    secret: Mapped[str | None] = mapped_column(String(100))  # webhook signing key
    type_prefixes: Mapped[list[Any]] = mapped_column(default=list)  # empty: every event
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    forwarded: Mapped[int] = mapped_column(BigInteger, default=0)
    claim: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_forwarded_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
