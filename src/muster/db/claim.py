"""Claiming due rows so that two workers never act on the same one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select

from muster.db.uow import UnitOfWork

T = TypeVar("T")


def claim(uow: UnitOfWork, query: Select[T], *, limit: int = 100) -> Sequence[T]:
    """Rows of ``query``, locked for this transaction.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` — rows another worker holds are skipped, not
    waited for. SQLite: the unit of work already holds the database's write lock
    (``BEGIN IMMEDIATE``), so no other writer can claim them meanwhile.
    """
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows: Sequence[Any] = uow.session.scalars(query.limit(limit)).all()
    return rows
