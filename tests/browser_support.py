"""What the browser fixtures hand to tests."""

from __future__ import annotations

from dataclasses import dataclass

from helpers import Person
from muster.db.uow import Database


@dataclass(frozen=True)
class LiveServer:
    """A running Muster: its base URL, its database and its first admin."""

    url: str
    db: Database
    admin: Person
