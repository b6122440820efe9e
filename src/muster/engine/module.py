"""What an engine module is: a small, idempotent job over due rows."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from muster.db.uow import UnitOfWork


class EngineModule(Protocol):
    name: str

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Act on every row due at ``now``; return how many were acted on.

        Runs inside ``uow``, which the runner commits. Must be idempotent: a second call
        at the same ``now`` does nothing more, and two workers on PostgreSQL never act on
        the same row (claim rows with ``FOR UPDATE SKIP LOCKED``, see :mod:`muster.db.claim`).
        """
        ...
