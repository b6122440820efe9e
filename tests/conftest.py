"""Test fixtures: every database test runs on SQLite, and on PostgreSQL too when
MUSTER_TEST_DATABASE_URL is set. MUSTER_REQUIRE_POSTGRES=1 (set by .ci/run) turns a
missing or unreachable PostgreSQL into a failure instead of a skip."""

from __future__ import annotations

import os

# Cheap argon2 parameters for the many users tests create (set before muster is imported).
os.environ["MUSTER_PASSWORD_HASH_PROFILE"] = "test"
# Code that reads settings from the environment must not write var/ into the work tree.
os.environ.setdefault("MUSTER_SECRET_KEY", "test-secret-key")
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from helpers import Person, make_person
from muster.clock import ManualClock
from muster.config import Settings
from muster.db import migrate
from muster.db.engine import make_engine, normalise_url
from muster.db.uow import Database
from muster.domain.all_models import Base

PG_URL = os.environ.get("MUSTER_TEST_DATABASE_URL")
REQUIRE_PG = os.environ.get("MUSTER_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def pytest_report_header() -> str:
    if PG_URL:
        return f"database backends: sqlite, postgresql ({make_url(PG_URL).render_as_string()})"
    reason = "MUSTER_TEST_DATABASE_URL is not set"
    if REQUIRE_PG:
        raise pytest.UsageError(f"PostgreSQL is required (MUSTER_REQUIRE_POSTGRES=1) but {reason}")
    return f"database backends: sqlite only — PostgreSQL tests skipped: {reason}"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "muster.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test worker's own, migrated once."""
    assert PG_URL
    base = make_url(normalise_url(PG_URL))
    # Per process, so two people (or CI and a person) never share a test database.
    name = f"{base.database}_muster_{_worker()}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {base.render_as_string()} is unreachable: {exc}")
    url = base.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    _SEEDED.update(_seeded_rows(url))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]
# Rows the migrations seed (severity definitions, built-in types and roles), put back
# after each test's truncation.
_SEEDED: dict[str, list[dict[str, Any]]] = {}


def _seeded_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = {
                table.name: [dict(r._mapping) for r in conn.execute(table.select())]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()
    return {name: rows for name, rows in found.items() if rows}


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """The URL of an empty, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "muster.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        for table in Base.metadata.sorted_tables:
            if table.name in _SEEDED:
                conn.execute(table.insert(), _SEEDED[table.name])
    engine.dispose()
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db(db_url: str, clock: ManualClock) -> Iterator[Database]:
    database = Database(make_engine(db_url), clock)
    yield database
    database.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret-key")


@pytest.fixture
def people(db: Database) -> dict[str, Person]:
    """One person of each role; the admin is created first."""
    return {role: make_person(db, role) for role in ("admin", "manager", "responder", "viewer")}
