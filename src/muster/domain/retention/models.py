"""An admin-set retention period for one kind of record (see
:mod:`muster.domain.retention.policies` for the kinds)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base


class RetentionPolicy(Base):
    """How many days a kind is kept after it ended; 0 keeps it forever. A kind without a
    row uses its default (``MUSTER_RETENTION_DAYS`` for evidence, forever otherwise)."""

    __tablename__ = "retention_policies"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(320))
