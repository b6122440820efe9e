"""The migration adding the correlation ignore list (0033 when written), on a database
that already has correlation settings: the row gets the default ignore list (the
migration's own copy of it matches the code's)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, Integer, String, create_engine, insert, select, table

from empty_db_support import empty_database
from muster.db import migrate
from muster.db.base import UTCDateTime
from muster.domain.correlation.ignore_list import DEFAULT_IGNORED


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    with empty_database(db_url, tmp_path, "ignored_values") as url:
        yield url


def test_existing_correlation_settings_get_the_default_ignore_list(fresh_url: str) -> None:
    migrate.upgrade(fresh_url, "0032")
    settings = table("correlation_settings", Column("id", String), Column("window_minutes", Integer),
                     Column("kinds", JSON), Column("updated_at", UTCDateTime(timezone=True)))  # fmt: skip
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(settings).values(id="default", window_minutes=15, kinds=["ip"],
                                                 updated_at=datetime(2026, 1, 1, tzinfo=UTC)))  # fmt: skip
        migrate.upgrade(fresh_url)
        migrated = table("correlation_settings", Column("window_minutes", Integer),
                         Column("kinds", JSON), Column("ignored", JSON))  # fmt: skip
        with engine.connect() as conn:
            row = conn.execute(select(migrated)).one()
    finally:
        engine.dispose()
    assert (row.window_minutes, row.kinds, row.ignored) == (15, ["ip"], list(DEFAULT_IGNORED))
