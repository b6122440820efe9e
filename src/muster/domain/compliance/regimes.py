"""The catalogue of notification regimes: each a named set of reports with a deadline,
the fact (or earlier report's submission) that starts its clock and how time is counted.

Everyone reads the catalogue; admins add regimes, edit them (every change bumps
``version`` and appends ``regime.changed`` on the stream ``regime:<id>``) and archive
them (offered no more; incidents that apply them keep their clocks). Built-in regimes
(seeded by migration 0015) can be edited and archived like any other. Keys never change:
clocks and forms refer to them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.calendars import calendar_keys
from muster.domain.compliance.clocks import recompute_clocks
from muster.domain.compliance.deadlines import describe_deadline
from muster.domain.compliance.models import (
    ComplianceClock,
    IncidentRegime,
    Regime,
    RegimeReport,
)
from muster.domain.compliance.regime_schemas import (
    RegimeCreate,
    RegimeOut,
    RegimeUpdate,
    ReportIn,
    ReportOut,
)
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.models import Incident
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

SUBMITTED = "submitted:"
FACT_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
REPORT_FIELDS = tuple(ReportIn.model_fields)
CAP_FIELDS = ("cap_starts_on", "cap_amount", "cap_unit")

# ---------------------------------------------------------------- queries


def regimes(uow: UnitOfWork, *, include_archived: bool = False) -> Sequence[Regime]:
    """The catalogue by name; archived regimes only when asked."""
    query = select(Regime).order_by(Regime.name)
    if not include_archived:
        query = query.where(Regime.archived_at.is_(None))
    return uow.session.scalars(query).all()


def get_regime(uow: UnitOfWork, regime_id: str) -> Regime:
    row = uow.session.get(Regime, regime_id)
    if row is None:
        raise NotFound("no such regime")
    return row


def find_regime(uow: UnitOfWork, ref: str) -> Regime:
    """A regime by key or id."""
    row = uow.session.scalar(select(Regime).where(Regime.key == ref))
    return row if row is not None else get_regime(uow, ref)


def reports_of(uow: UnitOfWork, regime_id: str) -> Sequence[RegimeReport]:
    return uow.session.scalars(
        select(RegimeReport)
        .where(RegimeReport.regime_id == regime_id)
        .order_by(RegimeReport.position, RegimeReport.key)
    ).all()


def report_out(report: RegimeReport) -> ReportOut:
    values = {name: getattr(report, name) for name in ReportOut.model_fields if name != "deadline"}
    return ReportOut(**values, deadline=describe_deadline(report))


def regime_out(uow: UnitOfWork, regime: Regime) -> RegimeOut:
    return RegimeOut(
        id=regime.id, key=regime.key, name=regime.name, description=regime.description,
        proposed=regime.proposed, builtin=regime.builtin, version=regime.version,
        created_at=regime.created_at, updated_at=regime.updated_at,
        archived_at=regime.archived_at,
        reports=[report_out(r) for r in reports_of(uow, regime.id)],
    )  # fmt: skip


# ---------------------------------------------------------------- checks


def check_reports(uow: UnitOfWork, reports: Sequence[ReportIn]) -> None:
    """Raise :class:`InvalidInput` naming each bad field (``reports.<i>.<field>``):
    report keys unique; cap fields all given or none; a ``submitted:<key>`` start naming
    another report of the list, with no cycle; the holiday calendar existing."""
    errors: list[FieldError] = []
    index: dict[str, int] = {}
    for i, report in enumerate(reports):
        if report.key in index:
            errors.append(FieldError(f"reports.{i}.key", f"{report.key!r} is used twice"))
        index.setdefault(report.key, i)
    calendars = calendar_keys(uow)
    for i, report in enumerate(reports):
        at = f"reports.{i}."
        given = [name for name in CAP_FIELDS if getattr(report, name) is not None]
        if given and len(given) < len(CAP_FIELDS):
            missing = next(name for name in CAP_FIELDS if name not in given)
            errors.append(FieldError(at + missing, "give all of the cap's fields or none"))
        for field in ("starts_on", "cap_starts_on"):
            value = getattr(report, field)
            if value is None or not value.startswith(SUBMITTED):
                continue
            target = value.removeprefix(SUBMITTED)
            if target == report.key:
                errors.append(FieldError(at + field, "a report cannot start on its own submission"))
            elif target not in index:
                errors.append(FieldError(at + field, f"no report {target!r} in this regime"))
        if report.holiday_calendar is not None and report.holiday_calendar not in calendars:
            errors.append(
                FieldError(at + "holiday_calendar", f"no holiday calendar {report.holiday_calendar!r}")
            )  # fmt: skip
    if not errors:
        errors.extend(_cycles(reports, index))
    if errors:
        raise InvalidInput("the reports are not valid", errors=errors)


def _cycles(reports: Sequence[ReportIn], index: dict[str, int]) -> list[FieldError]:
    """A report whose chain of ``submitted:`` starts comes back to it."""

    def after(report: ReportIn) -> list[str]:
        starts = (report.starts_on, report.cap_starts_on)
        return [s.removeprefix(SUBMITTED) for s in starts if s and s.startswith(SUBMITTED)]

    errors: list[FieldError] = []
    for i, report in enumerate(reports):
        seen, todo = set(), after(report)
        while todo:
            key = todo.pop()
            if key == report.key:
                errors.append(FieldError(f"reports.{i}.starts_on", "the chained starts form a cycle"))  # fmt: skip
                break
            if key not in seen:
                seen.add(key)
                todo.extend(after(reports[index[key]]))
    return errors


def _check_key_free(uow: UnitOfWork, key: str) -> None:
    if uow.session.scalar(select(Regime.id).where(Regime.key == key)) is not None:
        raise Conflict("this key is taken", errors=[FieldError("key", f"{key!r} exists already")])


# ---------------------------------------------------------------- commands


def do_create_regime(uow: UnitOfWork, actor: Actor, data: RegimeCreate) -> Regime:
    """Add a regime with its reports. Preconditions: admin; the key not taken; the
    reports pass :func:`check_reports`."""
    require(actor, Role.ADMIN)
    _check_key_free(uow, data.key)
    check_reports(uow, data.reports)
    regime = Regime(
        key=data.key, name=data.name, description=data.description, proposed=data.proposed,
        builtin=False, version=1, created_at=uow.now, updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(regime)
    uow.flush()
    for position, report in enumerate(data.reports):
        uow.session.add(RegimeReport(regime_id=regime.id, position=position * 10, **report.model_dump()))  # fmt: skip
    uow.flush()
    _event(uow, actor, "created", regime, reports=[r.key for r in data.reports])
    return regime


def do_update_regime(uow: UnitOfWork, actor: Actor, regime_id: str, data: RegimeUpdate) -> Regime:
    """Change the fields given; ``reports`` replaces the list (matched by key). A change
    bumps ``version`` and appends ``regime.changed``. Preconditions: admin; the regime
    exists; the reports pass :func:`check_reports`; a report removed has no clocks.
    Changed reports recompute the clocks of the open incidents that apply the regime."""
    require(actor, Role.ADMIN)
    regime = get_regime(uow, regime_id)
    changes: dict[str, Any] = {}
    for name in ("name", "description", "proposed"):
        value = getattr(data, name)
        if value is not None and value != getattr(regime, name):
            changes[name] = {"from": getattr(regime, name), "to": value}
    if data.reports is not None:
        check_reports(uow, data.reports)
        changes.update(_replace_reports(uow, regime, data.reports))
    if not changes:
        return regime
    for name in ("name", "description", "proposed"):
        if name in changes:
            setattr(regime, name, changes[name]["to"])
    regime.version += 1
    regime.updated_at = uow.now
    uow.flush()
    _event(uow, actor, "changed", regime, version=regime.version, changes=changes)
    if "reports" in changes:
        _recompute_open_incidents(uow, actor, regime)
    return regime


def _recompute_open_incidents(uow: UnitOfWork, actor: Actor, regime: Regime) -> None:
    """Bring the clocks of every open incident that applies ``regime`` in line with its
    new reports (closed incidents keep the deadlines they were held to)."""
    incidents = uow.session.scalars(
        select(Incident)
        .join(IncidentRegime, IncidentRegime.incident_id == Incident.id)
        .where(
            IncidentRegime.regime_id == regime.id,
            IncidentRegime.removed_at.is_(None),
            Incident.status.in_(OPEN_STATUSES),
        )
        .order_by(Incident.id)
    ).all()
    for incident in incidents:
        recompute_clocks(uow, actor, incident)


def _replace_reports(uow: UnitOfWork, regime: Regime, wanted: Sequence[ReportIn]) -> dict[str, Any]:
    """Make the regime's reports ``wanted``; answers ``{"reports": {added, removed,
    changed}}`` or ``{}`` when nothing changed."""
    current = {r.key: r for r in reports_of(uow, regime.id)}
    keys = {r.key for r in wanted}
    removed = sorted(set(current) - keys)
    if removed:
        ids = [current[k].id for k in removed]
        used = uow.session.scalar(select(ComplianceClock.id).where(ComplianceClock.report_id.in_(ids)).limit(1))  # fmt: skip
        if used is not None:
            raise Conflict(
                "a report with clocks on incidents cannot be removed",
                errors=[FieldError("reports", f"keep {', '.join(removed)}: incidents have clocks of it")],
            )  # fmt: skip
    added: list[str] = []
    changed: dict[str, dict[str, Any]] = {}
    for position, report in enumerate(wanted):
        values = {**report.model_dump(), "position": position * 10}
        row = current.get(report.key)
        if row is None:
            uow.session.add(RegimeReport(regime_id=regime.id, **values))
            added.append(report.key)
            continue
        diff = {
            name: {"from": getattr(row, name), "to": value}
            for name, value in values.items()
            if getattr(row, name) != value
        }
        for name, change in diff.items():
            setattr(row, name, change["to"])
        if set(diff) - {"position"}:
            changed[report.key] = diff
    for key in removed:
        uow.session.delete(current[key])
    kept_before = [key for key in current if key in keys]  # current is in list order
    order_changed = kept_before != [r.key for r in wanted if r.key in current]
    if not (added or removed or changed or order_changed):
        return {}
    return {"reports": {"added": added, "removed": removed, "changed": changed,
                        "order": [r.key for r in wanted]}}  # fmt: skip


def do_archive_regime(uow: UnitOfWork, actor: Actor, regime_id: str) -> Regime:
    """Offer the regime no more (incidents that apply it keep it and its clocks).
    Preconditions: admin; not archived already."""
    require(actor, Role.ADMIN)
    regime = get_regime(uow, regime_id)
    if regime.archived_at is not None:
        raise Conflict("already archived", errors=[FieldError("archived_at", "already archived")])
    regime.archived_at = regime.updated_at = uow.now
    _event(uow, actor, "archived", regime)
    return regime


def do_restore_regime(uow: UnitOfWork, actor: Actor, regime_id: str) -> Regime:
    """Offer an archived regime again. Preconditions: admin; archived."""
    require(actor, Role.ADMIN)
    regime = get_regime(uow, regime_id)
    if regime.archived_at is None:
        raise Conflict("not archived", errors=[FieldError("archived_at", "not archived")])
    regime.archived_at = None
    regime.updated_at = uow.now
    _event(uow, actor, "restored", regime)
    return regime


def _event(uow: UnitOfWork, actor: Actor, kind: str, regime: Regime, **data: Any) -> None:
    append_event(
        uow, actor, f"regime.{kind}", subject_type="regime", subject_id=regime.id,
        data={"key": regime.key, "name": regime.name, **data},
    )  # fmt: skip
