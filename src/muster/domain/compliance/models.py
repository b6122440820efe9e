"""Regulatory clocks: the catalogue of regimes (each a set of reports with a deadline),
holiday calendars for business-day deadlines, and on an incident the regimes that apply,
the clock-starting facts, one clock row per report (the timer the engine reads) and the
submissions made.

How a deadline is counted lives in :mod:`muster.domain.compliance.deadlines` (pure); the
catalogue is seeded by migration 0015 and edited by admins
(:mod:`muster.domain.compliance.regimes`); clocks are computed from facts and
submissions by :mod:`muster.domain.compliance.clocks`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column


class HolidayCalendar(Base):
    """Days that are not business days besides weekends. ``us-federal`` is built in and
    computed by rule for any year (:mod:`muster.domain.compliance.holidays`); its rows
    here, if any, add to the rule. Admin calendars are their rows only."""

    __tablename__ = "holiday_calendars"

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Holiday(Base):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("calendar_id", "day", name="uq_holidays_day"),)

    id: Mapped[str] = id_column()
    calendar_id: Mapped[str] = mapped_column(
        ForeignKey("holiday_calendars.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120))


class Regime(Base):
    """A notification regime (GDPR art. 33, NIS2 art. 23 ...): a named set of reports."""

    __tablename__ = "regimes"

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    proposed: Mapped[bool] = mapped_column(Boolean, default=False)  # e.g. CIRCIA
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


class RegimeReport(Base):
    """One report of a regime and its deadline.

    The clock starts at the incident's fact ``starts_on`` (``aware_at``, ``material_at``
    ...) or, when ``starts_on`` is ``submitted:<report key>``, at the submission of that
    earlier report of the same regime (a chained clock). The deadline is ``amount``
    ``unit`` (``hours``, ``calendar_days``, ``business_days``, ``months``) after the start,
    counted in ``time_zone`` with ``holiday_calendar`` for business days. ``cap_*``
    bounds it further: the deadline is the earlier of the two (DORA: 4 h from
    classification, at most 24 h from awareness). ``min_affected`` makes the report apply
    only when at least that many people are affected (HIPAA's HHS report).
    """

    __tablename__ = "regime_reports"
    __table_args__ = (UniqueConstraint("regime_id", "key", name="uq_regime_reports_key"),)

    id: Mapped[str] = id_column()
    regime_id: Mapped[str] = mapped_column(ForeignKey("regimes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    recipient: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[str] = mapped_column(String(80))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    holiday_calendar: Mapped[str | None] = mapped_column(String(40))
    cap_starts_on: Mapped[str | None] = mapped_column(String(80))
    cap_amount: Mapped[int | None] = mapped_column(Integer)
    cap_unit: Mapped[str | None] = mapped_column(String(20))
    min_affected: Mapped[int | None] = mapped_column(Integer)
    late_needs_reason: Mapped[bool] = mapped_column(Boolean, default=True)
    guidance: Mapped[str] = mapped_column(Text, default="")


class IncidentRegime(Base):
    """A regime marked as applying to an incident (by whom, why)."""

    __tablename__ = "incident_regimes"
    __table_args__ = (
        UniqueConstraint("incident_id", "regime_id", name="uq_incident_regimes_regime"),
    )

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    regime_id: Mapped[str] = mapped_column(ForeignKey("regimes.id"), index=True)
    applied_at: Mapped[datetime]
    applied_by: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text, default="")
    removed_at: Mapped[datetime | None]


class ComplianceFact(Base):
    """A clock-starting fact of an incident (``aware_at``, ``material_at``,
    ``classified_major_at`` ...) or a count (``affected_people``): the current value;
    every change is also an event on the incident's timeline."""

    __tablename__ = "compliance_facts"
    __table_args__ = (UniqueConstraint("incident_id", "key", name="uq_compliance_facts_key"),)

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime | None]
    number: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(320))


class ComplianceClock(Base):
    """One report's clock on an incident: the timer the engine reads.

    ``status``: ``waiting`` (its start is not known yet), ``running``, ``submitted``,
    ``missed`` (due passed unsubmitted; still submittable, late), ``not_applicable``
    (its condition does not hold, or the regime was removed). ``reminded_pct`` is the
    last reminder sent (0, 50, 75, 90); ``paged_at`` the page at one hour left.
    ``next_check_at`` is when the engine must next look (the next reminder, the page or
    the deadline), None when nothing is due.
    """

    __tablename__ = "compliance_clocks"
    __table_args__ = (
        UniqueConstraint("incident_id", "report_id", name="uq_compliance_clocks_report"),
        Index("ix_compliance_clocks_next_check", "next_check_at"),
        Index("ix_compliance_clocks_status_due", "status", "due_at"),
    )

    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    regime_id: Mapped[str] = mapped_column(ForeignKey("regimes.id"))
    report_id: Mapped[str] = mapped_column(ForeignKey("regime_reports.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    reminded_pct: Mapped[int] = mapped_column(Integer, default=0)
    paged_at: Mapped[datetime | None]
    missed_at: Mapped[datetime | None]
    missed_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Submission(Base):
    """A report sent to a regulator or to the people affected: when, to whom, its
    reference, the document sent (a blob by SHA-256) and, if late, the stated reason."""

    __tablename__ = "compliance_submissions"

    id: Mapped[str] = id_column()
    clock_id: Mapped[str] = mapped_column(
        ForeignKey("compliance_clocks.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    submitted_at: Mapped[datetime]
    recipient: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(300), default="")
    document_name: Mapped[str | None] = mapped_column(String(300))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_size: Mapped[int | None] = mapped_column(Integer)
    late_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(320))
