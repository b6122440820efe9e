"""Deleting rows by id whatever refers to them: the shared tool of drill cleanup and
retention. Rows of other tables that point at the deleted rows without an ``ON DELETE``
rule are found from the table metadata (every model is imported, so a table added later
needs no change here): nullable references are cleared, required ones deleted with the
row."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Table, delete, inspect, select, update

import muster.domain.all_models  # noqa: F401 - the metadata must know every table
from muster.db.base import Base
from muster.db.uow import UnitOfWork

CHUNK = 500


class Purge:
    """Deletes rows by id, first clearing or deleting the rows of other tables that point
    at them without an ``ON DELETE`` rule; remembers what went, to drop loaded objects."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.gone: dict[str, set[Any]] = {}

    def rows(self, table: Table, ids: Collection[Any]) -> int:
        if not ids:
            return 0
        ids = list(ids)
        (pk,) = table.primary_key.columns
        for child in Base.metadata.tables.values():
            for fk in child.foreign_keys:
                if fk.column.table is not table or fk.ondelete is not None:
                    continue
                if fk.parent.nullable:
                    for chunk in _chunks(ids):
                        self.uow.session.execute(
                            update(child).where(fk.parent.in_(chunk)).values({fk.parent.name: None})
                        )
                elif len(child.primary_key.columns) == 1 and child is not table:
                    (child_pk,) = child.primary_key.columns
                    self.rows(child, ids_where(self.uow, child_pk, fk.parent, ids))
                else:
                    for chunk in _chunks(ids):
                        self.uow.session.execute(delete(child).where(fk.parent.in_(chunk)))
        removed = 0
        for chunk in _chunks(ids):
            result = self.uow.session.execute(delete(table).where(pk.in_(chunk)))
            removed += int(getattr(result, "rowcount", 0) or 0)
        self.gone.setdefault(table.name, set()).update(ids)
        return removed

    def forget_loaded(self) -> None:
        """Detach loaded objects whose rows were deleted here or by a cascade."""
        session = self.uow.session
        for obj in list(session.identity_map.values()):
            table = inspect(obj).mapper.local_table
            if not isinstance(table, Table):
                continue
            (pk, *_) = table.primary_key.columns
            mine = getattr(obj, pk.key, None) in self.gone.get(table.name, ())
            pointing = any(
                fk.column.table.name in self.gone
                and getattr(obj, fk.parent.key, None) in self.gone[fk.column.table.name]
                for fk in table.foreign_keys
            )
            if mine or pointing:
                session.expunge(obj)


def ids_where(uow: UnitOfWork, id_column: Any, column: Any, values: Sequence[Any]) -> list[Any]:
    """``id_column`` of the rows whose ``column`` is among ``values`` (in chunks)."""
    found: list[Any] = []
    for chunk in _chunks(values):
        found += uow.session.scalars(select(id_column).where(column.in_(chunk)))
    return found


def _chunks(ids: Sequence[Any]) -> list[Sequence[Any]]:
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]
