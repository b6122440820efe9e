"""Raises an alert for every heartbeat whose pings stopped."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.alerts.heartbeats import do_mark_missed_heartbeats


class Heartbeats:
    name = "heartbeats"

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        return len(do_mark_missed_heartbeats(uow, now))
