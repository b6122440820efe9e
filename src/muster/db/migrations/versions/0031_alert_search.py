"""alert text search: an FTS5 trigram index (SQLite) or a pg_trgm GIN index (PostgreSQL)

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-24 05:00:00

The objects are described in muster.db.alert_search (they are not models). Building the
index reads every alert once: a few seconds per hundred thousand alerts, during which
intake waits.
"""

from __future__ import annotations

import logging

from alembic import op

from muster.db import alert_search

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        alert_search.install_sqlite(conn)
    elif conn.dialect.name == "postgresql" and not alert_search.install_postgresql(conn):
        log.warning(
            "pg_trgm is not available: alert text search works, but scans the alerts "
            "(install the extension and run `muster db upgrade` again after a downgrade "
            "of 0031 to index it)"
        )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        alert_search.uninstall_sqlite(conn)
    elif conn.dialect.name == "postgresql":
        alert_search.uninstall_postgresql(conn)
