"""``muster db``: schema migrations."""

from __future__ import annotations

import click

from muster.cli.common import settings
from muster.db import migrate


@click.group()
def db() -> None:
    """The database schema."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    migrate.upgrade(settings().database_url, revision)
    click.echo(f"database at {revision}")
