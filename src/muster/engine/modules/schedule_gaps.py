"""Warns, once per gap, when a schedule will have nobody on call within the next 7 days."""

from __future__ import annotations

from datetime import datetime, timedelta

from muster.db.uow import UnitOfWork
from muster.domain.oncall.gap_warnings import do_warn_gaps

# How often the schedules are looked over. Only a rate: after a restart the first pass
# looks at once, and the warnings already written keep every gap warned once.
SWEEP_EVERY = timedelta(minutes=1)


class ScheduleGaps:
    name = "schedule_gaps"

    def __init__(self) -> None:
        self._last_sweep: datetime | None = None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        last = self._last_sweep
        if last is not None and last <= now < last + SWEEP_EVERY:
            return 0
        warned = do_warn_gaps(uow, now)
        self._last_sweep = now
        return warned
