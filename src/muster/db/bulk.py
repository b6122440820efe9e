"""Bulk inserts, as lean as the driver allows: for tables written thousands of rows a
second (the event log, intake's alerts).

On SQLite the rows go to the driver's ``executemany`` with each value converted by its
column type's own bind processor (exactly what SQLAlchemy would send, without its
per-row bookkeeping); elsewhere SQLAlchemy's executemany is used as is (with psycopg 3
a pipeline of prepared statements, which measured faster here than one multi-row
``INSERT ... VALUES`` carrying hundreds of JSONB values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine


@dataclass(frozen=True)
class _Plan:
    sql: str
    # Per column, in the statement's order: how to read it from a row, how to convert it.
    columns: tuple[tuple[Callable[[Mapping[str, Any]], Any], Callable[[Any], Any] | None], ...]
    needs_defaults: bool


_plans: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows``, which all have the same keys, in one statement."""
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    keys = tuple(rows[0])
    plan = _plans.get((dialect.name, table.name, keys))
    if plan is None:
        plan = _plans[(dialect.name, table.name, keys)] = _plan(dialect, table, keys)
    if plan.needs_defaults:  # columns left out whose defaults only SQLAlchemy knows
        conn.execute(insert(table), list(rows))
        return
    # Column by column: each column's values are read and converted by C-level iteration.
    values = [
        list(map(getter, rows)) if convert is None else list(map(convert, map(getter, rows)))
        for getter, convert in plan.columns
    ]
    conn.exec_driver_sql(plan.sql, list(zip(*values, strict=True)))


def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan:
    compiled = insert(table).values({k: bindparam(k) for k in keys}).compile(dialect=dialect)
    order = compiled.positiontup or []
    columns = tuple((itemgetter(k), _converter(dialect, table.c[k].type)) for k in order)
    needs_defaults = any(c.default is not None and c.key not in keys for c in table.columns)
    return _Plan(str(compiled), columns, needs_defaults)


def _converter(dialect: Dialect, type_: TypeEngine[Any]) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for JSON, objects and lists go straight to the
    dialect's serializer (what the processor would do, one call fewer per value)."""
    impl = type_.dialect_impl(dialect)
    general = impl.bind_processor(dialect)
    serialize = getattr(dialect, "_json_serializer", None)
    if not isinstance(impl, JSON) or general is None or serialize is None:
        return general

    def convert(value: Any) -> Any:
        kind = type(value)
        return serialize(value) if kind is dict or kind is list else general(value)

    return convert
