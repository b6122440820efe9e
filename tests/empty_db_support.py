"""A database with no schema at all, beside the test's own: where a restore or an
upgrade from the first migration starts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def empty_database(db_url: str, tmp_path: Path, name: str) -> Iterator[str]:
    """The URL of an empty database of the same kind as ``db_url`` called ``name``: a
    SQLite file not created yet, or a PostgreSQL database created now and dropped after."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / name / 'muster.db'}"
        return
    base = make_url(db_url)
    database = f"{base.database}_{name}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        yield base.set(database=database).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()
