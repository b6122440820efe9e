"""Engine factory: SQLite with WAL, foreign keys and a busy timeout; PostgreSQL through
psycopg 3 with a pool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def json_dumps(value: Any) -> str:
    """JSON columns' text: orjson (several times faster than the standard library, which
    matters when intake writes thousands of rows a second), and the standard library for
    what orjson refuses (integers beyond 64 bits, keys that are not strings)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def make_engine(url: str, *, pool_size: int = 10, pooled: bool = True) -> Engine:
    """An engine for ``url``; ``pooled=False`` for one-shot tools such as migrations."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, pooled=pooled)
    if not pooled:
        return create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": 5}, json_serializer=json_dumps
        )
    return create_engine(
        url,
        json_serializer=json_dumps,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_engine(url: str, database: str | None, *, pooled: bool) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_serializer=json_dumps,
        **extra,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=FULL")
        # Busy writers checkpoint from a thread of their own (muster.db.checkpoint); this
        # is the net for processes that run none (10,000 pages: 40 MB of log).
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front so a read-then-write transaction never
        # fails half-way on a stale snapshot; readers stay concurrent under WAL.
        if conn.get_execution_options().get("muster_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
