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
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert
from sqlalchemy.engine import Dialect


@dataclass(frozen=True)
class _Plan:
    sql: str
    columns: tuple[tuple[str, Callable[[Any], Any] | None], ...]
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
    columns = plan.columns
    conn.exec_driver_sql(
        plan.sql,
        [tuple(row[k] if p is None else p(row[k]) for k, p in columns) for row in rows],
    )


def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan:
    compiled = insert(table).values({k: bindparam(k) for k in keys}).compile(dialect=dialect)
    order = compiled.positiontup or []
    columns = tuple(
        (k, table.c[k].type.dialect_impl(dialect).bind_processor(dialect)) for k in order
    )
    needs_defaults = any(c.default is not None and c.key not in keys for c in table.columns)
    return _Plan(str(compiled), columns, needs_defaults)
