"""What the engine does with a running regulatory clock as time passes: a reminder at
50 %, 75 % and 90 % of its period (only the highest when several passed at once), a
page at one hour left, and the miss when the deadline passes unsubmitted — each once.

Whom: the holder of the incident role ``legal`` (Legal/Compliance) and the Commander;
with neither, the incident's declarer. The events name them (``user_ids``) and
:mod:`muster.domain.notify.incident_notices` tells them
(:mod:`muster.domain.compliance.clock_notices` words the messages).

The timer is the clock's ``next_check_at``; what was sent is kept in ``reminded_pct``,
``paged_at`` and ``missed_at`` in the same transaction as the event, and the rows are
claimed with ``FOR UPDATE SKIP LOCKED``, so a second pass or a second worker sends
nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.compliance.clocks import (
    PAGE_BEFORE,
    THRESHOLDS,
    mark_missed,
    next_check,
    threshold_at,
)
from muster.domain.compliance.models import ComplianceClock, Regime, RegimeReport
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import COMMANDER, holder

LEGAL = "legal"


def alarm_recipients(uow: UnitOfWork, incident: Incident) -> list[str]:
    """The Legal/Compliance role's holder and the Commander; else the declarer."""
    users: list[str] = []
    for role in (LEGAL, COMMANDER):
        held = holder(uow, incident.id, role)
        if held is not None and held.user_id not in users:
            users.append(held.user_id)
    if not users:
        declarer = uow.session.scalar(
            select(User.id).where(func.lower(User.email) == incident.declared_by.lower())
        )
        if declarer is not None:
            users.append(declarer)
    return users


def checks_due(now: datetime) -> Select[ComplianceClock]:
    """Running clocks the engine must look at by ``now``, in order."""
    return (
        select(ComplianceClock)
        .where(ComplianceClock.status == "running", ComplianceClock.next_check_at <= now)
        .order_by(ComplianceClock.next_check_at, ComplianceClock.id)
    )


def claim_checks(uow: UnitOfWork, now: datetime, *, limit: int = 200) -> Sequence[ComplianceClock]:
    """The due clocks, locked for this transaction (skipped when another worker holds
    them)."""
    return claim(uow, checks_due(now), limit=limit)


def do_check_clock(uow: UnitOfWork, actor: Actor, clock: ComplianceClock) -> str | None:
    """Send what is due for ``clock`` now and set its next check. Returns what was sent:
    ``"missed"``, ``"page"``, ``"reminder"`` or None.

    Preconditions: the clock was claimed by :func:`claim_checks` in this unit of work."""
    now = uow.now
    if clock.status != "running" or clock.due_at is None or clock.started_at is None:
        clock.next_check_at = None
        return None
    incident = uow.session.get_one(Incident, clock.incident_id)
    report = uow.session.get_one(RegimeReport, clock.report_id)
    regime = uow.session.get_one(Regime, clock.regime_id)
    deadline = f"{regime.key}/{report.key}"
    users = alarm_recipients(uow, incident)
    clock.updated_at = now
    if clock.due_at <= now:
        mark_missed(uow, actor, incident, clock, deadline=deadline, name=report.name, user_ids=users)  # fmt: skip
        return "missed"
    passed = [p for p in THRESHOLDS if p > clock.reminded_pct and threshold_at(clock, p) <= now]
    page = clock.paged_at is None and clock.due_at - PAGE_BEFORE <= now
    pct = max(passed) if passed else None
    if pct is not None:
        clock.reminded_pct = pct
    if page:
        clock.paged_at = now
    if pct is not None or page:
        record(
            uow, actor, incident, "incident.deadline_approaching", clock_id=clock.id,
            deadline=deadline, regime=regime.key, report=report.key, name=report.name,
            due_at=clock.due_at, minutes_left=int((clock.due_at - now).total_seconds() // 60),
            pct=pct, page=page, user_ids=users,
        )  # fmt: skip
    clock.next_check_at = next_check(clock)
    if page:
        return "page"
    return "reminder" if pct is not None else None
