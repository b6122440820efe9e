"""The database part of a backup: one consistent snapshot, taken while Muster runs.

SQLite: the online backup API copies the database page by page into a new file, as of
one moment, however busy the source is. PostgreSQL: ``pg_dump`` in the custom format,
run on a snapshot exported from a transaction this module holds open, so the stored
files listed from that same transaction match the dump exactly.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url

from muster.db.engine import normalise_url

T = TypeVar("T")

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


class BackupError(Exception):
    """What went wrong, in words for the operator."""


def kind_of(url: str) -> str:
    """``sqlite`` or ``postgresql``."""
    backend = make_url(normalise_url(url)).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database")
    return backend


def sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as libpq (pg_dump, pg_restore) takes it, without its password,
    and the environment carrying the password (never on a command line)."""
    parsed = make_url(normalise_url(url))
    env = os.environ.copy()
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def snapshot(url: str, dest: Path, read: Callable[[Connection], T]) -> tuple[str, T]:
    """Write the database into ``dest`` (a directory) as of one moment; returns the
    file's name and what ``read`` found in the database as of that same moment."""
    if kind_of(url) == "sqlite":
        target = dest / SQLITE_FILE
        source = sqlite3.connect(sqlite_path(url))
        try:
            copy = sqlite3.connect(target)
            with copy:
                source.backup(copy)
            copy.close()
        finally:
            source.close()
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.connect() as conn:
                return SQLITE_FILE, read(conn)
        finally:
            engine.dispose()
    with _exported_snapshot(url) as (conn, snapshot_id):
        server, env = libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot_id}", f"--file={dest / PG_FILE}", server], env)  # fmt: skip
        return PG_FILE, read(conn)


@contextmanager
def _exported_snapshot(url: str) -> Iterator[tuple[Connection, str]]:
    engine = create_engine(normalise_url(url), isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            yield conn, str(snapshot_id)
            conn.rollback()
    finally:
        engine.dispose()


def is_empty(url: str) -> bool:
    """No tables at all (a SQLite file that does not exist yet counts as empty)."""
    if kind_of(url) == "sqlite" and not sqlite_path(url).exists():
        return True
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore(url: str, source: Path, name: str) -> None:
    """Put the snapshot ``source / name`` into the (empty) database at ``url``."""
    kind = kind_of(url)
    if (kind == "sqlite") != (name == SQLITE_FILE):
        raise BackupError(f"this backup holds {name}: it restores into the same kind of database")
    if kind == "sqlite":
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        backup = sqlite3.connect(source / name)
        try:
            restored = sqlite3.connect(path)
            with restored:
                backup.backup(restored)
            restored.close()
        finally:
            backup.close()
        return
    server, env = libpq(url)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
          f"--dbname={server}", str(source / name)], env)  # fmt: skip


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program and our own arguments
            command, capture_output=True, text=True, check=False, env=env
        )
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")
