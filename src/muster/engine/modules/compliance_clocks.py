"""Regulatory clocks as time passes: reminders at 50 %, 75 % and 90 % of each running
clock, a page at one hour left, the miss when the deadline passes unsubmitted — each
once (:mod:`muster.domain.compliance.clock_alarms`).

The timer is the clock's ``next_check_at``; claimed rows are locked (``SKIP LOCKED`` on
PostgreSQL) and what was sent is recorded in the same transaction, so a second pass or
a second worker sends nothing more. A submission stops the clock (its status is no
longer running), so nothing follows it.
"""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.compliance.clock_alarms import checks_due, claim_checks, do_check_clock
from muster.domain.events.actor import Actor, Via

ENGINE = Actor.system(Via.ENGINE, label="engine")
BATCH = 200


class ComplianceClocks:
    name = "compliance_clocks"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalars(checks_due(now).limit(1)).first() is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        due = claim_checks(uow, now, limit=BATCH)
        return sum(1 for clock in due if do_check_clock(uow, ENGINE, clock) is not None)
