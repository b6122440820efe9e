"""Reading regulatory clocks back: one incident's regimes, facts, clocks (time left,
share elapsed, status, the deadline in words) and submissions; and the clocks across
incidents (running, due before a time, missed, by regime) — only incidents the reader
may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select

from muster.db.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from muster.db.uow import UnitOfWork
from muster.domain.compliance.clock_schemas import (
    CLOCK_STATUSES,
    AppliedRegimeOut,
    ClockOut,
    ComplianceOut,
    FactOut,
    SubmissionOut,
)
from muster.domain.compliance.clocks import SUBMITTED, applied_regimes, clocks_of, facts_of
from muster.domain.compliance.deadlines import describe_deadline, start_words
from muster.domain.compliance.facts import fact_label
from muster.domain.compliance.models import ComplianceClock, Regime, RegimeReport, Submission
from muster.domain.compliance.submissions import submissions_of
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.service import reference
from muster.domain.incidents.visibility import get_visible_incident, visible_clause
from muster.errors import FieldError, InvalidInput

STATUS_LABELS = {
    "waiting": "Waiting", "running": "Running", "submitted": "Submitted", "missed": "Missed",
    "not_applicable": "Not applicable",
}  # fmt: skip


def left_words(seconds: int | None) -> str:
    """``"2 d 3 h left"``, ``"45 min left"``, ``"5 h 20 min overdue"``."""
    if seconds is None:
        return ""
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {mins} min"
    else:
        text = f"{mins} min"
    return f"{text} left" if seconds >= 0 else f"{text} overdue"


def _waiting_for(clock: ComplianceClock, report: RegimeReport, affected: bool) -> str | None:
    if clock.status != "waiting":
        return None
    if report.min_affected is not None and not affected:
        return "the number of people affected"
    if report.starts_on.startswith(SUBMITTED):
        return start_words(report.starts_on)
    return fact_label(report.starts_on)


def clock_out(
    clock: ComplianceClock, report: RegimeReport, regime: Regime, incident: Incident,
    now: datetime, *, affected_known: bool = True,
) -> ClockOut:  # fmt: skip
    """``clock`` for reading at ``now``."""
    left: int | None = None
    pct: int | None = None
    if clock.status in ("running", "missed") and clock.due_at and clock.started_at:
        left = int((clock.due_at - now).total_seconds())
        period = (clock.due_at - clock.started_at).total_seconds()
        gone = (now - clock.started_at).total_seconds()
        pct = 100 if period <= 0 else max(0, min(100, int(gone * 100 // period)))
    return ClockOut(
        id=clock.id, incident_id=incident.id, incident_reference=reference(incident),
        incident_title=incident.title, deadline=f"{regime.key}/{report.key}",
        regime=regime.key, regime_name=regime.name, proposed=regime.proposed,
        report=report.key, name=report.name, recipient=report.recipient,
        status=clock.status,
        started_at=clock.started_at, due_at=clock.due_at, seconds_left=left,
        pct_elapsed=pct, rule=describe_deadline(report),
        waiting_for=_waiting_for(clock, report, affected_known),
        late_needs_reason=report.late_needs_reason, reminded_pct=clock.reminded_pct,
        paged_at=clock.paged_at, missed_at=clock.missed_at, missed_reason=clock.missed_reason,
        submitted_at=clock.submitted_at,
    )  # fmt: skip


def submission_out(
    row: Submission, due_at: datetime | None, others: Sequence[Submission] = ()
) -> SubmissionOut:
    """``row`` for reading; it is late when after ``due_at`` and none of the clock's
    ``others`` met the deadline (a later report "in phases" is not late)."""
    met = due_at is not None and any(
        o.submitted_at <= due_at for o in others if o.clock_id == row.clock_id and o.id != row.id
    )
    return SubmissionOut(
        id=row.id, clock_id=row.clock_id, submitted_at=row.submitted_at,
        recipient=row.recipient, reference=row.reference, document_name=row.document_name,
        document_sha256=row.document_sha256, document_size=row.document_size,
        late=due_at is not None and row.submitted_at > due_at and not met,
        late_reason=row.late_reason, notes=row.notes, recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )  # fmt: skip


def recorded_submission_out(uow: UnitOfWork, row: Submission) -> SubmissionOut:
    """A submission just recorded, for reading (with its clock's others)."""
    clock = uow.session.get_one(ComplianceClock, row.clock_id)
    return submission_out(row, clock.due_at, submissions_of(uow, row.incident_id))


def _parts(uow: UnitOfWork, clocks: Sequence[ComplianceClock]) -> tuple[dict[str, RegimeReport], dict[str, Regime]]:  # fmt: skip
    report_ids = {c.report_id for c in clocks}
    reports = {r.id: r for r in uow.session.scalars(select(RegimeReport).where(RegimeReport.id.in_(report_ids)))}  # fmt: skip
    regimes = {r.id: r for r in uow.session.scalars(select(Regime).where(Regime.id.in_({c.regime_id for c in clocks})))}  # fmt: skip
    return reports, regimes


def incident_compliance(uow: UnitOfWork, actor: Actor, incident_id: str) -> ComplianceOut:
    """The incident's regimes, facts, clocks (in regime and report order) and
    submissions. Precondition: the incident visible."""
    incident = get_visible_incident(uow, actor, incident_id)
    now = uow.now
    facts = facts_of(uow, incident.id)
    clocks = list(clocks_of(uow, incident.id))
    reports, regimes = _parts(uow, clocks)
    clocks.sort(key=lambda c: (regimes[c.regime_id].key, reports[c.report_id].position))
    affected = "affected_people" in facts
    due = {c.id: c.due_at for c in clocks}
    sent = submissions_of(uow, incident.id)
    return ComplianceOut(
        incident_id=incident.id,
        regimes=[
            AppliedRegimeOut(
                id=a.id,
                regime=r.key,
                regime_name=r.name,
                proposed=r.proposed,
                applied_at=a.applied_at,
                applied_by=a.applied_by,
                reason=a.reason,
            )
            for a, r in applied_regimes(uow, incident.id)
        ],
        facts=[
            FactOut(
                key=f.key,
                at=f.at,
                number=f.number,
                reason=f.reason,
                recorded_at=f.recorded_at,
                recorded_by=f.recorded_by,
            )
            for f in sorted(facts.values(), key=lambda f: f.key)
        ],
        clocks=[
            clock_out(
                c,
                reports[c.report_id],
                regimes[c.regime_id],
                incident,
                now,
                affected_known=affected,
            )
            for c in clocks
        ],
        submissions=[submission_out(s, due.get(s.clock_id), sent) for s in sent],
    )


def list_clocks(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    regime: str | None = None,
    due_before: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[ClockOut], str | None]:
    """Clocks with a deadline across the real incidents ``actor`` may see (never a
    drill's), soonest due first
    (``status``, ``regime`` key and ``due_before`` narrow it); and the next page's
    cursor."""
    if status is not None and status not in CLOCK_STATUSES:
        raise InvalidInput("unknown status", errors=[FieldError("status", ", ".join(CLOCK_STATUSES))])  # fmt: skip
    query = (
        select(ComplianceClock)
        .join(Incident, Incident.id == ComplianceClock.incident_id)
        .where(ComplianceClock.due_at.is_not(None), visible_clause(uow, actor),
               Incident.exercise_run_id.is_(None))  # drills stay out (muster.domain.exercises)
    )  # fmt: skip
    if status is not None:
        query = query.where(ComplianceClock.status == status)
    if regime:
        regime_id = uow.session.scalar(select(Regime.id).where(Regime.key == regime))
        if regime_id is None:
            raise InvalidInput("unknown regime", errors=[FieldError("regime", f"no regime {regime!r}")])  # fmt: skip
        query = query.where(ComplianceClock.regime_id == regime_id)
    if due_before is not None:
        query = query.where(ComplianceClock.due_at < due_before)
    clocks, next_cursor = _page(uow, query, cursor, limit)
    reports, regimes = _parts(uow, clocks)
    incidents = {
        i.id: i
        for i in uow.session.scalars(
            select(Incident).where(Incident.id.in_({c.incident_id for c in clocks}))
        )
    }
    now = uow.now
    items = [
        clock_out(c, reports[c.report_id], regimes[c.regime_id], incidents[c.incident_id], now)
        for c in clocks
    ]
    return items, next_cursor


def _page(
    uow: UnitOfWork, query: Select[ComplianceClock], cursor: str | None, limit: int
) -> tuple[list[ComplianceClock], str | None]:
    """One page by (due time, id) after ``cursor`` (the comparison spelled out, so the
    time is bound as a time on either database)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit out of range", errors=[FieldError("limit", f"1 to {MAX_LIMIT}")])  # fmt: skip
    if cursor:
        after_due, after_id = decode_cursor(cursor)
        try:
            due = datetime.fromisoformat(str(after_due))
            if due.tzinfo is None:
                raise ValueError(after_due)
        except ValueError:
            raise InvalidInput("bad cursor", errors=[FieldError("cursor", "not a cursor this API gave")]) from None  # fmt: skip
        query = query.where(
            or_(
                ComplianceClock.due_at > due,
                and_(ComplianceClock.due_at == due, ComplianceClock.id > str(after_id)),
            )
        )
    rows = list(uow.session.scalars(query.order_by(ComplianceClock.due_at, ComplianceClock.id).limit(limit + 1)))  # fmt: skip
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    assert last.due_at is not None
    return rows[:limit], encode_cursor([last.due_at.isoformat(), last.id])


def clock_counts(uow: UnitOfWork, actor: Actor) -> list[tuple[str, str, dict[str, int]]]:
    """(regime key, name, {status: clocks}) across the incidents ``actor`` may see, for
    the regimes with any clock, by name."""
    rows = uow.session.execute(
        select(Regime.key, Regime.name, ComplianceClock.status, func.count())
        .join(ComplianceClock, ComplianceClock.regime_id == Regime.id)
        .join(Incident, Incident.id == ComplianceClock.incident_id)
        .where(visible_clause(uow, actor), Incident.exercise_run_id.is_(None))
        .group_by(Regime.key, Regime.name, ComplianceClock.status)
    ).all()
    found: dict[tuple[str, str], dict[str, int]] = {}
    for key, name, status, count in rows:
        found.setdefault((key, name), {})[status] = int(count)
    return [(k, n, c) for (k, n), c in sorted(found.items(), key=lambda i: i[0][1])]
