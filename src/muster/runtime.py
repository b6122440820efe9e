"""Builds the process's parts from settings: one place, used by the CLI and tests."""

from __future__ import annotations

from muster.clock import Clock, SystemClock
from muster.config import Settings
from muster.db.engine import make_engine
from muster.db.uow import Database


def open_database(settings: Settings, clock: Clock | None = None) -> Database:
    return Database(make_engine(settings.database_url), clock or SystemClock())
