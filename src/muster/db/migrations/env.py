"""Alembic environment: batch mode on SQLite so ALTERs work there too."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from muster.db.alert_search import compared_with_models
from muster.db.engine import make_engine
from muster.domain.all_models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url, pooled=False)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            _run_sqlite(connection)
        else:
            _run(connection)
    engine.dispose()


def _run_sqlite(connection: Connection) -> None:
    """Batch mode rebuilds a table by copying it and dropping the original, which
    SQLite refuses while rows of other tables refer to it and foreign keys are enforced:
    enforcement is off during the migration (SQLite's own advice for schema changes), and
    every reference is checked before it is on again."""
    # On the driver's connection, outside any transaction (where the pragma is a no-op).
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        _run(connection)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left broken references: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=compared_with_models,  # the alert search index is no model (0031)
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
