"""Database engines: SQLite in WAL mode with foreign keys and a busy timeout."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from muster.db.engine import normalise_url
from muster.db.uow import Database


def test_sqlite_pragmas(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL: durable commits


def test_foreign_keys_are_enforced(db: Database) -> None:
    insert = text(
        "INSERT INTO services (id, name, description, team_id, created_at, updated_at)"
        " VALUES ('s1', 'x', '', 'no-such-team', :t, :t)"
    )
    with db.unit_of_work() as uow, pytest.raises(IntegrityError):
        uow.session.execute(insert, {"t": db.clock.now()})


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
