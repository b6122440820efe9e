"""The catalogue of notification regimes and the holiday calendars: what migration 0015
ships, admins adding, editing (a version and a `regime.changed` event each time) and
archiving regimes, and every bad report refused with the field named and nothing changed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from incident_support import Cast, build_cast, declare
from muster.db.uow import Database, UnitOfWork
from muster.domain.compliance import calendars, clocks, regimes
from muster.domain.compliance.clock_schemas import FactIn, RegimeApplyIn
from muster.domain.compliance.deadlines import report_due
from muster.domain.compliance.facts import do_record_fact
from muster.domain.compliance.models import ComplianceClock, RegimeReport
from muster.domain.compliance.regime_schemas import (
    HolidayCalendarCreate,
    HolidayIn,
    RegimeCreate,
    RegimeUpdate,
)
from muster.domain.events.models import Event
from muster.domain.inputs import parse_input
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def stream(db: Database, name: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        query = select(Event).where(Event.stream == name).order_by(Event.seq)
        return list(uow.session.scalars(query))


REPORT = {"key": "first", "name": "First notice", "starts_on": "aware_at", "amount": 48,
          "unit": "hours"}  # fmt: skip


def regime_input(**fields: Any) -> dict[str, Any]:
    return {"key": "acme-policy", "name": "ACME contract", "reports": [REPORT], **fields}


def create(db: Database, cast: Cast, **fields: Any) -> str:
    with db.unit_of_work() as uow:
        row = regimes.do_create_regime(uow, cast.admin, RegimeCreate.model_validate(regime_input(**fields)))  # fmt: skip
        uow.commit()
        return row.id


def test_the_shipped_catalogue(db: Database) -> None:
    with db.unit_of_work(readonly=True) as uow:
        shipped = {r.key: regimes.regime_out(uow, r) for r in regimes.regimes(uow)}
        us_federal = calendars.holiday_checker(uow, "us-federal")
    assert set(shipped) == {"gdpr-33", "nis2-23", "sec-8k-105", "hipaa", "dora", "circia"}
    assert all(r.builtin and r.version == 1 for r in shipped.values())
    assert [r.proposed for r in shipped.values()].count(True) == 1
    assert shipped["circia"].proposed
    words = {(k, rep.key): rep.deadline for k, r in shipped.items() for rep in r.reports}
    assert words == {
        ("gdpr-33", "authority"): "72 hours from aware at",
        ("nis2-23", "early-warning"): "24 hours from aware at",
        ("nis2-23", "notification"): "72 hours from aware at",
        ("nis2-23", "final"): "1 month from submission of notification",
        ("sec-8k-105", "form-8k"): "4 US federal business days from material at, America/New_York",
        ("hipaa", "individuals"): "60 calendar days from discovered at",
        ("hipaa", "hhs"): "60 calendar days from discovered at (when 500 or more people are affected)",
        ("dora", "initial"): "4 hours from classified major at, at most 24 hours from aware at",
        ("dora", "intermediate"): "72 hours from submission of initial",
        ("dora", "final"): "1 month from submission of intermediate",
        ("circia", "covered-incident"): "72 hours from reasonable belief at",
        ("circia", "ransom-payment"): "24 hours from ransom paid at",
    }  # fmt: skip
    assert "reasons for the delay" in shipped["gdpr-33"].reports[0].guidance
    assert shipped["gdpr-33"].reports[0].recipient == "supervisory authority"
    assert "PROPOSED" in shipped["circia"].description
    assert us_federal(date(2026, 11, 26))
    assert not us_federal(date(2026, 11, 27))
    # The seeded SEC report, counted with the seeded calendar.
    with db.unit_of_work(readonly=True) as uow:
        sec = uow.session.scalars(select(RegimeReport).where(RegimeReport.key == "form-8k")).one()
        due = report_due(sec, datetime(2026, 11, 25, 20, 0, tzinfo=UTC), None,
                         calendars.holiday_checker(uow, sec.holiday_calendar))  # fmt: skip
    assert due == datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


def test_an_admin_adds_edits_and_archives_a_regime(db: Database, cast: Cast) -> None:
    regime_id = create(db, cast, reports=[
        REPORT,
        {"key": "follow-up", "name": "Follow-up", "starts_on": "submitted:first", "amount": 10,
         "unit": "business_days", "time_zone": "Europe/Berlin", "holiday_calendar": "us-federal"},
    ])  # fmt: skip
    edit = RegimeUpdate.model_validate({"name": "ACME contract (2027)", "reports": [
        {**REPORT, "amount": 24, "guidance": "Call the account manager."},
        {"key": "closing", "name": "Closing", "starts_on": "submitted:first", "amount": 1,
         "unit": "months"},
    ]})  # fmt: skip
    with db.unit_of_work() as uow:
        first_id = regimes.reports_of(uow, regime_id)[0].id
        row = regimes.do_update_regime(uow, cast.admin, regime_id, edit)
        uow.commit()
        out = regimes.regime_out(uow, row)
    assert (out.name, out.version) == ("ACME contract (2027)", 2)
    assert [(r.key, r.amount, r.position) for r in out.reports] == [("first", 24, 0), ("closing", 1, 10)]  # fmt: skip
    assert out.reports[0].id == first_id  # kept, so clocks keep their report
    # The same values again change nothing: no version, no event.
    with db.unit_of_work() as uow:
        assert regimes.do_update_regime(uow, cast.admin, regime_id, edit).version == 2
        uow.commit()
    with db.unit_of_work() as uow:
        regimes.do_archive_regime(uow, cast.admin, regime_id)
        uow.commit()
        assert regime_id not in {r.id for r in regimes.regimes(uow)}
        assert regime_id in {r.id for r in regimes.regimes(uow, include_archived=True)}
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        regimes.do_archive_regime(uow, cast.admin, regime_id)
    with db.unit_of_work() as uow:
        regimes.do_restore_regime(uow, cast.admin, regime_id)
        uow.commit()
    events = stream(db, f"regime:{regime_id}")
    assert [e.type for e in events] == ["regime.created", "regime.changed", "regime.archived", "regime.restored"]  # fmt: skip
    changes = events[1].data["changes"]
    assert changes["name"] == {"from": "ACME contract", "to": "ACME contract (2027)"}
    assert changes["reports"]["added"] == ["closing"]
    assert changes["reports"]["removed"] == ["follow-up"]
    assert changes["reports"]["changed"]["first"]["amount"] == {"from": 48, "to": 24}
    assert events[1].data["version"] == 2
    assert events[1].actor_label == "admin@example.com"


def test_only_admins_change_the_catalogue(db: Database, cast: Cast) -> None:
    data = RegimeCreate.model_validate(regime_input())
    for actor in (cast.boss, cast.resp, cast.viewer):
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            regimes.do_create_regime(uow, actor, data)
    with db.unit_of_work(readonly=True) as uow:
        gdpr = regimes.find_regime(uow, "gdpr-33")
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        regimes.do_archive_regime(uow, cast.boss, gdpr.id)
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        calendars.do_create_holiday_calendar(uow, cast.boss, HolidayCalendarCreate(key="x", name="X"))  # fmt: skip


BAD_REPORTS: list[tuple[dict[str, Any], str]] = [
    ({"unit": "weeks"}, "reports.0.unit"),
    ({"amount": 0}, "reports.0.amount"),
    ({"amount": 10_001}, "reports.0.amount"),
    ({"starts_on": "Aware At"}, "reports.0.starts_on"),
    ({"time_zone": "Mars/Olympus"}, "reports.0.time_zone"),
    ({"cap_amount": 24}, "reports.0.cap_starts_on"),
    ({"cap_starts_on": "aware_at", "cap_amount": 24}, "reports.0.cap_unit"),
    ({"holiday_calendar": "mars"}, "reports.0.holiday_calendar"),
    ({"starts_on": "submitted:first"}, "reports.0.starts_on"),
    ({"starts_on": "submitted:nothing"}, "reports.0.starts_on"),
]


def _create_from(uow: UnitOfWork, cast: Cast, data: dict[str, Any]) -> None:
    regimes.do_create_regime(uow, cast.admin, parse_input(RegimeCreate, data))


@pytest.mark.parametrize(("change", "field"), BAD_REPORTS)
def test_bad_reports_are_refused_naming_the_field(
    db: Database, cast: Cast, change: dict[str, Any], field: str
) -> None:
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        _create_from(uow, cast, regime_input(reports=[{**REPORT, **change}]))
    assert field in [e.field for e in refused.value.errors]
    with db.unit_of_work(readonly=True) as uow:
        assert not [r for r in regimes.regimes(uow) if r.key == "acme-policy"]
    assert stream(db, "regime:acme-policy") == []


def test_cycles_duplicates_and_taken_keys_are_refused(db: Database, cast: Cast) -> None:
    a = {**REPORT, "key": "a", "starts_on": "submitted:b"}
    b = {**REPORT, "key": "b", "starts_on": "submitted:a"}
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        regimes.do_create_regime(uow, cast.admin, RegimeCreate.model_validate(regime_input(reports=[a, b])))  # fmt: skip
    assert {e.field for e in refused.value.errors} == {"reports.0.starts_on", "reports.1.starts_on"}  # fmt: skip
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        regimes.do_create_regime(uow, cast.admin, RegimeCreate.model_validate(regime_input(reports=[REPORT, REPORT])))  # fmt: skip
    assert [e.field for e in refused.value.errors] == ["reports.1.key"]
    with db.unit_of_work() as uow, pytest.raises(Conflict) as clash:
        regimes.do_create_regime(uow, cast.admin, RegimeCreate.model_validate(regime_input(key="gdpr-33")))  # fmt: skip
    assert clash.value.errors[0].field == "key"
    regime_id = create(db, cast)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput):
        regimes.do_update_regime(uow, cast.admin, regime_id, RegimeUpdate.model_validate({"reports": [a, b]}))  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        assert regimes.get_regime(uow, regime_id).version == 1
        assert [r.key for r in regimes.reports_of(uow, regime_id)] == ["first"]


def test_a_report_with_clocks_cannot_be_removed(db: Database, cast: Cast) -> None:
    regime_id = create(db, cast)
    incident_id = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        report = regimes.reports_of(uow, regime_id)[0]
        uow.session.add(ComplianceClock(incident_id=incident_id, regime_id=regime_id,
                                        report_id=report.id, status="waiting",
                                        updated_at=uow.now))  # fmt: skip
        uow.commit()
    other = {**REPORT, "key": "other"}
    with db.unit_of_work() as uow, pytest.raises(Conflict) as refused:
        regimes.do_update_regime(uow, cast.admin, regime_id, RegimeUpdate.model_validate({"reports": [other]}))  # fmt: skip
    assert refused.value.errors[0].field == "reports"


def test_holiday_calendars(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        cal = calendars.do_create_holiday_calendar(uow, cast.admin, HolidayCalendarCreate(key="de-berlin", name="Berlin"))  # fmt: skip
        day = calendars.do_add_holiday(uow, cast.admin, cal.id, HolidayIn(day=date(2026, 3, 8), name="Women's Day"))  # fmt: skip
        us = next(c for c in calendars.holiday_calendars(uow) if c.key == "us-federal")
        calendars.do_add_holiday(uow, cast.admin, us.id, HolidayIn(day=date(2026, 12, 24), name="Christmas Eve"))  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        berlin = calendars.holiday_checker(uow, "de-berlin")
        federal = calendars.holiday_checker(uow, "us-federal")
        nothing = calendars.holiday_checker(uow, None)
    assert berlin(date(2026, 3, 8))
    assert not berlin(date(2026, 11, 26))
    assert federal(date(2026, 12, 24))
    assert federal(date(2026, 11, 26))
    assert not nothing(date(2026, 12, 25))
    with db.unit_of_work() as uow, pytest.raises(Conflict) as dup:
        calendars.do_add_holiday(uow, cast.admin, cal.id, HolidayIn(day=date(2026, 3, 8), name="Again"))  # fmt: skip
    assert dup.value.errors[0].field == "day"
    # In use by a report: not deletable; built-in: never.
    create(db, cast, reports=[{**REPORT, "unit": "business_days", "holiday_calendar": "de-berlin"}])  # fmt: skip
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        calendars.do_delete_holiday_calendar(uow, cast.admin, cal.id)
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        calendars.do_delete_holiday_calendar(uow, cast.admin, us.id)
    with db.unit_of_work() as uow:
        calendars.do_remove_holiday(uow, cast.admin, cal.id, day.id)
        uow.commit()
        assert calendars.calendar_out(uow, cal).days == []
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        calendars.do_remove_holiday(uow, cast.admin, cal.id, day.id)
    types = [e.type for e in stream(db, f"holiday_calendar:{cal.id}")]
    assert types == ["holiday_calendar.created", "holiday_calendar.day_added", "holiday_calendar.day_removed"]  # fmt: skip


def test_editing_a_deadline_moves_the_running_clocks_of_open_incidents(
    db: Database, cast: Cast
) -> None:
    regime_id = create(db, cast)
    incident_id = declare(db, cast.ic)
    with db.unit_of_work(readonly=True) as uow:
        aware = uow.now - timedelta(hours=3)
    with db.unit_of_work() as uow:
        clocks.do_apply_regime(uow, cast.ic, incident_id, RegimeApplyIn(regime="acme-policy", reason="contract"))  # fmt: skip
        do_record_fact(uow, cast.ic, incident_id, "aware_at", FactIn(at=aware, reason="first call"))  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        (clock,) = clocks.clocks_of(uow, incident_id)
    assert clock.due_at == aware + timedelta(hours=48)
    edit = RegimeUpdate.model_validate({"reports": [
        {**REPORT, "amount": 36},
        {"key": "closing", "name": "Closing", "starts_on": "aware_at", "amount": 5, "unit": "calendar_days"},
    ]})  # fmt: skip
    with db.unit_of_work() as uow:
        regimes.do_update_regime(uow, cast.admin, regime_id, edit)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        due = {c.report_id: c.due_at for c in clocks.clocks_of(uow, incident_id)}
        keys = {r.id: r.key for r in regimes.reports_of(uow, regime_id)}
    assert {keys[k]: v for k, v in due.items()} == {
        "first": aware + timedelta(hours=36), "closing": aware + timedelta(days=5)
    }  # fmt: skip
    changed = [e for e in stream(db, f"incident:{incident_id}") if e.type == "incident.clock_changed"]  # fmt: skip
    assert [e.actor_label for e in changed] == ["admin@example.com"]
