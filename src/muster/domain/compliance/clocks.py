"""An incident's regulatory clocks: the regimes marked as applying, and one clock per
report of each, computed from the incident's facts and submissions.

:func:`recompute_clocks` is the one place a clock's start, due time and status are
decided; every command that changes regimes, facts or submissions calls it. It is
idempotent: run twice, it changes nothing and records nothing the second time.

A clock is ``waiting`` until its start is known (a fact, or for a chained report the
submission of the earlier one), ``running`` until submitted or due, ``missed`` when due
passed unsubmitted (``incident.deadline_missed``, once; a late submission is still
possible), ``submitted``, or ``not_applicable`` (its regime removed, or fewer people
affected than it needs). The engine (:mod:`muster.domain.compliance.clock_alarms`)
reads ``next_check_at`` for the reminders, the page and the miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.calendars import holiday_checker
from muster.domain.compliance.clock_schemas import RegimeApplyIn, RegimeRemoveIn
from muster.domain.compliance.deadlines import report_due
from muster.domain.compliance.models import (
    ComplianceClock,
    ComplianceFact,
    IncidentRegime,
    Regime,
    RegimeReport,
    Submission,
)
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

THRESHOLDS = (50, 75, 90)  # reminders, as % of the clock's period
PAGE_BEFORE = timedelta(hours=1)  # the page, this long before the deadline
AFFECTED = "affected_people"
SUBMITTED = "submitted:"


# ---------------------------------------------------------------- regimes on an incident


def applied_regimes(uow: UnitOfWork, incident_id: str) -> list[tuple[IncidentRegime, Regime]]:
    """The regimes applying to the incident now, in the order they were applied."""
    rows = uow.session.execute(
        select(IncidentRegime, Regime)
        .join(Regime, Regime.id == IncidentRegime.regime_id)
        .where(IncidentRegime.incident_id == incident_id, IncidentRegime.removed_at.is_(None))
        .order_by(IncidentRegime.applied_at, IncidentRegime.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def do_apply_regime(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: RegimeApplyIn
) -> IncidentRegime:
    """Mark a regime as applying to the incident (``incident.regime_applied``) and start
    its clocks whose facts are known.

    Preconditions: responder role; the incident visible; the regime exists and is not
    archived; it does not apply already (:class:`Conflict`); a reason."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    regime = uow.session.scalar(select(Regime).where(Regime.key == data.regime))
    if regime is None or regime.archived_at is not None:
        raise InvalidInput("unknown regime", errors=[FieldError("regime", f"no regime {data.regime!r}")])  # fmt: skip
    row = uow.session.scalar(
        select(IncidentRegime).where(
            IncidentRegime.incident_id == incident.id, IncidentRegime.regime_id == regime.id
        )
    )
    if row is not None and row.removed_at is None:
        raise Conflict("this regime already applies", errors=[FieldError("regime", "applied")])
    if row is None:
        row = IncidentRegime(incident_id=incident.id, regime_id=regime.id)
        uow.session.add(row)
    row.applied_at, row.applied_by, row.reason, row.removed_at = uow.now, actor.label, data.reason, None  # fmt: skip
    uow.flush()
    record(
        uow, actor, incident, "incident.regime_applied",
        regime=regime.key, regime_name=regime.name, reason=data.reason,
    )  # fmt: skip
    recompute_clocks(uow, actor, incident)
    return row


def do_remove_regime(
    uow: UnitOfWork, actor: Actor, incident_id: str, regime_key: str, data: RegimeRemoveIn
) -> None:
    """The regime no longer applies (``incident.regime_removed``): its unsubmitted
    clocks become not applicable and remind nobody.

    Preconditions: responder role; the incident visible; the regime applies to it
    (:class:`NotFound` otherwise); a reason."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    found = next(((a, r) for a, r in applied_regimes(uow, incident.id) if r.key == regime_key), None)  # fmt: skip
    if found is None:
        raise NotFound("this regime does not apply to the incident")
    applied, regime = found
    applied.removed_at = uow.now
    uow.flush()
    record(uow, actor, incident, "incident.regime_removed", regime=regime.key, reason=data.reason)
    recompute_clocks(uow, actor, incident)


# ---------------------------------------------------------------- computing the clocks


def facts_of(uow: UnitOfWork, incident_id: str) -> dict[str, ComplianceFact]:
    rows = uow.session.scalars(
        select(ComplianceFact).where(ComplianceFact.incident_id == incident_id)
    )
    return {f.key: f for f in rows}


def clocks_of(uow: UnitOfWork, incident_id: str) -> Sequence[ComplianceClock]:
    return uow.session.scalars(
        select(ComplianceClock).where(ComplianceClock.incident_id == incident_id)
    ).all()


def latest_submissions(uow: UnitOfWork, incident_id: str) -> dict[str, datetime]:
    """Each clock's latest submission time (by clock id)."""
    rows = uow.session.execute(
        select(Submission.clock_id, func.max(Submission.submitted_at))
        .where(Submission.incident_id == incident_id)
        .group_by(Submission.clock_id)
    ).all()
    return {r[0]: r[1] for r in rows}


def recompute_clocks(uow: UnitOfWork, actor: Actor, incident: Incident) -> list[ComplianceClock]:
    """Make every applied regime's clocks agree with the incident's facts and
    submissions (see the module's rules); record ``incident.clock_started`` /
    ``incident.clock_changed`` (and ``incident.deadline_missed`` for a clock that starts
    already past due) when they change. Returns the incident's clocks."""
    now = uow.now
    facts = facts_of(uow, incident.id)
    existing = {c.report_id: c for c in clocks_of(uow, incident.id)}
    submitted = latest_submissions(uow, incident.id)
    applied = {r.id for _, r in applied_regimes(uow, incident.id)}
    regime_ids = applied | {c.regime_id for c in existing.values()}
    reports = uow.session.execute(
        select(RegimeReport, Regime)
        .join(Regime, Regime.id == RegimeReport.regime_id)
        .where(RegimeReport.regime_id.in_(regime_ids))
        .order_by(Regime.key, RegimeReport.position, RegimeReport.key)
    ).all()
    clocks: list[ComplianceClock] = []
    by_key: dict[tuple[str, str], ComplianceClock] = {}
    # A chained report follows its earlier one, so compute in order of dependence.
    for report, regime in sorted(reports, key=lambda r: (r[1].key, _depth(r[0], reports))):
        clock = existing.get(report.id)
        if clock is None:
            if regime.id not in applied:
                continue
            clock = ComplianceClock(
                incident_id=incident.id, regime_id=regime.id, report_id=report.id,
                status="waiting", reminded_pct=0, updated_at=now,
            )  # fmt: skip
            uow.session.add(clock)
            uow.flush()
        by_key[(regime.key, report.key)] = clock
        _update(uow, actor, incident, clock, report, regime, facts, submitted, by_key, regime.id in applied)  # fmt: skip
        clocks.append(clock)
    return clocks


def _depth(report: RegimeReport, reports: Sequence[tuple[RegimeReport, Regime]]) -> int:
    """How many reports this one is chained behind (0: it starts on a fact)."""
    depth, current, seen = 0, report, {report.id}
    while current.starts_on.startswith(SUBMITTED):
        key = current.starts_on.removeprefix(SUBMITTED)
        earlier = next(
            (r for r, _ in reports if r.regime_id == current.regime_id and r.key == key), None
        )
        if earlier is None or earlier.id in seen:
            break
        seen.add(earlier.id)
        depth, current = depth + 1, earlier
    return depth


def _start(
    starts_on: str | None,
    regime: Regime,
    facts: dict[str, ComplianceFact],
    submitted: dict[str, datetime],
    by_key: dict[tuple[str, str], ComplianceClock],
) -> datetime | None:
    if not starts_on:
        return None
    if starts_on.startswith(SUBMITTED):
        earlier = by_key.get((regime.key, starts_on.removeprefix(SUBMITTED)))
        return submitted.get(earlier.id) if earlier is not None else None
    fact = facts.get(starts_on)
    return fact.at if fact is not None else None


def _update(
    uow: UnitOfWork, actor: Actor, incident: Incident, clock: ComplianceClock,
    report: RegimeReport, regime: Regime, facts: dict[str, ComplianceFact],
    submitted: dict[str, datetime], by_key: dict[tuple[str, str], ComplianceClock],
    applies: bool,
) -> None:  # fmt: skip
    now = uow.now
    start = _start(report.starts_on, regime, facts, submitted, by_key)
    due: datetime | None = None
    if start is not None:
        cap_start = _start(report.cap_starts_on, regime, facts, submitted, by_key)
        is_holiday = holiday_checker(uow, report.holiday_calendar)
        due = report_due(report, start, cap_start, is_holiday, is_holiday)
    affected = facts.get(AFFECTED)
    counted = affected.number if affected is not None else None
    sent = submitted.get(clock.id)
    if not applies or (report.min_affected is not None and counted is not None and counted < report.min_affected):  # fmt: skip
        status = "not_applicable"
    elif sent is not None:
        status = "submitted"
    elif report.min_affected is not None and counted is None:
        status = "waiting"  # whether it applies is not known yet
    elif due is None:
        status = "waiting"
    elif due <= now:
        status = "missed"
    else:
        status = "running"
    name = report.name
    deadline = f"{regime.key}/{report.key}"
    if status in ("not_applicable", "waiting"):
        start = due = None  # started (and recorded so) once it applies
    if due is not None and due != clock.due_at:
        if clock.due_at is None:
            record(
                uow, actor, incident, "incident.clock_started", clock_id=clock.id,
                deadline=deadline, name=name, started_at=start, due_at=due,
            )  # fmt: skip
        elif due != clock.due_at:
            record(
                uow, actor, incident, "incident.clock_changed", clock_id=clock.id,
                deadline=deadline, name=name, due_at=due, previous_due_at=clock.due_at,
            )  # fmt: skip
    if due != clock.due_at:
        # A corrected fact moved the deadline: a miss or a page for the old one no longer
        # stands when the new one is still ahead.
        if due is not None and due > now:
            clock.missed_at = clock.missed_reason = None
        if due is not None and clock.paged_at is not None and due - PAGE_BEFORE > now:
            clock.paged_at = None
    clock.started_at, clock.due_at, clock.submitted_at = start, due, sent
    if status == "missed" and clock.missed_at is None:
        mark_missed(uow, actor, incident, clock, deadline=deadline, name=name)
    clock.status = status
    clock.next_check_at = next_check(clock) if status == "running" else None
    if uow.session.is_modified(clock):
        clock.updated_at = now


def mark_missed(
    uow: UnitOfWork, actor: Actor, incident: Incident, clock: ComplianceClock, *,
    deadline: str, name: str, user_ids: list[str] | None = None,
) -> None:  # fmt: skip
    """Record that ``clock``'s deadline passed unsubmitted (once: ``missed_at`` set)."""
    clock.status, clock.missed_at, clock.next_check_at = "missed", uow.now, None
    extra = {} if user_ids is None else {"user_ids": user_ids}
    record(
        uow, actor, incident, "incident.deadline_missed", clock_id=clock.id,
        deadline=deadline, name=name, due_at=clock.due_at, **extra,
    )  # fmt: skip


def threshold_at(clock: ComplianceClock, pct: int) -> datetime:
    assert clock.started_at is not None
    assert clock.due_at is not None
    return clock.started_at + (clock.due_at - clock.started_at) * pct / 100


def next_check(clock: ComplianceClock) -> datetime | None:
    """When the engine must next look at a running clock: the next reminder not sent,
    the page at one hour left (unless sent), or the deadline."""
    if clock.due_at is None or clock.started_at is None:
        return None
    times = [threshold_at(clock, p) for p in THRESHOLDS if p > clock.reminded_pct]
    if clock.paged_at is None:
        times.append(clock.due_at - PAGE_BEFORE)
    times.append(clock.due_at)
    return min(times)


def get_clock(uow: UnitOfWork, actor: Actor, incident_id: str, clock_id: str) -> tuple[Incident, ComplianceClock]:  # fmt: skip
    """The incident (visible to ``actor``) and its clock; :class:`NotFound` otherwise."""
    incident = get_visible_incident(uow, actor, incident_id)
    clock = uow.session.get(ComplianceClock, clock_id)
    if clock is None or clock.incident_id != incident.id:
        raise NotFound("no such clock")
    return incident, clock
