"""Bulk inserts, as lean as the driver allows: for tables written thousands of rows a
second (the event log, intake's alerts).

On SQLite the rows go to the driver as multi-row ``INSERT ... VALUES (...), (...)``
statements, with each value converted by its column type's own bind processor (exactly
what SQLAlchemy would send, without its per-row bookkeeping). One statement for hundreds
of rows, not one per row as ``executemany`` runs them: a statement's fixed costs are paid
once, among them the savepoint of a table with triggers that write a full-text index
(``alert_search``, whose FTS5 table writes out what it holds at every savepoint: with
``executemany`` a segment per row, several times the cost of the row itself). Elsewhere SQLAlchemy's executemany is used as is (with psycopg 3
a pipeline of prepared statements, which measured faster here than one multi-row
``INSERT ... VALUES`` carrying hundreds of JSONB values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

# SQLite binds at most 32,766 parameters a statement (since 3.32; the driver here is
# newer); a few hundred rows a statement already make its fixed cost negligible.
_MAX_PARAMETERS = 32_000
_MAX_ROWS = 500


@dataclass(frozen=True)
class _Plan:
    head: str  # "INSERT INTO t (a, b) VALUES "
    row: str  # "(?, ?)"
    sql: str  # the statement for rows_per_statement rows
    rows_per_statement: int
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
    flat = list(chain.from_iterable(zip(*values, strict=True)))
    width, per = len(plan.columns), plan.rows_per_statement
    for start in range(0, len(rows), per):
        count = min(per, len(rows) - start)
        sql = plan.sql if count == per else plan.head + ", ".join([plan.row] * count)
        conn.exec_driver_sql(sql, tuple(flat[start * width : (start + count) * width]))


def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan:
    compiled = insert(table).values({k: bindparam(k) for k in keys}).compile(dialect=dialect)
    order = compiled.positiontup or []
    columns = tuple((itemgetter(k), _converter(dialect, table.c[k].type)) for k in order)
    needs_defaults = any(c.default is not None and c.key not in keys for c in table.columns)
    head, _, row = str(compiled).partition(" VALUES ")
    assert row.count("?") == len(columns), "one positional parameter per column"
    per = max(1, min(_MAX_ROWS, _MAX_PARAMETERS // max(1, len(columns))))
    return _Plan(head + " VALUES ", row, head + " VALUES " + ", ".join([row] * per), per,
                 columns, needs_defaults)  # fmt: skip


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
