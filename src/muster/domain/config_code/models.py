"""Managed marks: which objects were created or adopted from configuration files.

A mark names the object's kind (the folder it lives in, e.g. ``services``), its id and
its stable name. ``muster config apply`` sets the marks of every object in the files and
deletes the managed objects whose file is gone; objects never applied from files are left
alone. Pages warn before an object with a mark is edited by hand.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column


class ManagedObject(Base):
    __tablename__ = "config_managed"
    __table_args__ = (UniqueConstraint("kind", "object_id", name="uq_config_managed_object"),)

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(320))
    applied_at: Mapped[datetime]
