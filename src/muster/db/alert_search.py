"""The index behind the alert list's text search (migration 0031), outside the models.

The search (:mod:`muster.domain.alerts.search`) is a case-insensitive substring of an
alert's summary, source or dedup key. Neither database can answer that from a b-tree, so:

* SQLite: ``alert_search``, an FTS5 table with the trigram tokenizer over those three
  columns, external content on ``alerts`` (by rowid: nothing is stored twice), kept in step
  by three triggers. It finds candidates; the list still applies its own condition.
* PostgreSQL: ``ix_alerts_search_trgm``, a pg_trgm GIN index on the three columns, which
  the planner uses for the ILIKE conditions themselves.

Neither is a model, so model/schema comparisons (autogenerate, the migration test) skip
them by name: :func:`compared_with_models`. A later migration that rebuilds ``alerts`` on
SQLite in batch mode (copy, drop, rename) drops the triggers with the old table and
renumbers rowids: it must call :func:`install_sqlite` again afterwards.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

FTS_TABLE = "alert_search"
PG_INDEX = "ix_alerts_search_trgm"
# Literal statements (the names above, spelled out).
_SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS alert_search USING fts5(summary, source, dedup_key, "
    "content='alerts', content_rowid='rowid', tokenize='trigram')",
    "DROP TRIGGER IF EXISTS alert_search_ai",
    "CREATE TRIGGER alert_search_ai AFTER INSERT ON alerts BEGIN "
    "INSERT INTO alert_search(rowid, summary, source, dedup_key) "
    "VALUES (new.rowid, new.summary, new.source, new.dedup_key); END",
    "DROP TRIGGER IF EXISTS alert_search_ad",
    "CREATE TRIGGER alert_search_ad AFTER DELETE ON alerts BEGIN "
    "INSERT INTO alert_search(alert_search, rowid, summary, source, dedup_key) "
    "VALUES ('delete', old.rowid, old.summary, old.source, old.dedup_key); END",
    "DROP TRIGGER IF EXISTS alert_search_au",
    "CREATE TRIGGER alert_search_au AFTER UPDATE OF summary, source, dedup_key ON alerts BEGIN "
    "INSERT INTO alert_search(alert_search, rowid, summary, source, dedup_key) "
    "VALUES ('delete', old.rowid, old.summary, old.source, old.dedup_key); "
    "INSERT INTO alert_search(rowid, summary, source, dedup_key) "
    "VALUES (new.rowid, new.summary, new.source, new.dedup_key); END",
    # Index what is already there (and mend an index left behind by a rebuilt table).
    "INSERT INTO alert_search(alert_search) VALUES ('rebuild')",
]
_PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_alerts_search_trgm ON alerts USING gin "
    "(summary gin_trgm_ops, source gin_trgm_ops, dedup_key gin_trgm_ops)"
)


def install_sqlite(conn: Connection) -> None:
    """Create (or re-create) the FTS table and its triggers, and index every alert."""
    for statement in _SQLITE:
        conn.execute(text(statement))


def uninstall_sqlite(conn: Connection) -> None:
    for statement in ("DROP TRIGGER IF EXISTS alert_search_ai", "DROP TRIGGER IF EXISTS alert_search_ad",
                      "DROP TRIGGER IF EXISTS alert_search_au", "DROP TABLE IF EXISTS alert_search"):  # fmt: skip
        conn.execute(text(statement))


def install_postgresql(conn: Connection) -> bool:
    """Create pg_trgm (if this role may) and the GIN index; False when the extension is
    unavailable, in which case the search still works, by scanning."""
    with conn.begin_nested() as savepoint:
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except DBAPIError:  # not installed on the server, or not allowed to this role
            savepoint.rollback()
            return False
    conn.execute(text(_PG_INDEX))
    return True


def uninstall_postgresql(conn: Connection) -> None:
    # The extension stays: it may have been there before, and others may use it.
    conn.execute(text("DROP INDEX IF EXISTS ix_alerts_search_trgm"))


def compared_with_models(name: str | None, type_: str, _parents: object = None) -> bool:
    """False for the search index's own objects: an ``include_name`` hook for comparing
    the models with a database."""
    if name is None:
        return True
    if type_ == "table":
        return not (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))
    if type_ == "index":
        return name != PG_INDEX
    return True
