"""/settings/regimes and /settings/holiday-calendars: admin-only pages that list, show,
add and edit regimes (reports as repeated form rows, no JavaScript) and calendars."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person
from muster.db.uow import Database
from muster.domain.compliance import regimes
from muster.domain.compliance.models import HolidayCalendar, Regime
from ui_support import as_person, count, field_has_error


def row(i: int, **fields: str) -> dict[str, str]:
    return {f"reports.{i}.{k}": v for k, v in fields.items()}


def test_the_pages_are_for_admins(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["manager"])
    for page in ("/settings/regimes", "/settings/regimes/new", "/settings/holiday-calendars"):
        assert client.get(page).status_code == 403
    assert 'href="/settings/regimes"' not in client.get("/").text
    as_person(client, people["admin"])
    home = client.get("/")
    assert 'href="/settings/regimes"' in home.text
    r = client.get("/settings/regimes")
    assert r.status_code == 200
    for text in ("GDPR art. 33", "72 hours from aware at", "CIRCIA", "proposed",
                 "4 US federal business days from material at, America/New_York"):  # fmt: skip
        assert text in r.text


def test_showing_a_shipped_regime(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["admin"])
    r = client.get("/settings/regimes/dora")
    assert r.status_code == 200
    assert "4 hours from classified major at, at most 24 hours from aware at" in r.text
    assert "competent authority" in r.text
    assert client.get("/settings/regimes/nothing").status_code == 404


def test_adding_and_editing_a_regime_with_report_rows(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    form = client.get("/settings/regimes/new").text
    assert 'name="reports.2.key"' in form  # one row and two more empty ones
    bad = {"key": "acme", "name": "ACME", "csrf_token": csrf,
           **row(0, key="first", name="First", starts_on="aware_at", amount="0", unit="hours"),
           **row(1, key="", name=""),
           **row(2, key="second", name="Second", starts_on="submitted:nope", amount="3",
                 unit="calendar_days", time_zone="Europe/Paris")}  # fmt: skip
    r = client.post("/settings/regimes/new", data=bad)
    assert r.status_code == 422
    assert field_has_error(r.text, "f-reports.0.amount")
    assert "Report 1: amount" in r.text
    assert count(db, Regime, Regime.key == "acme") == 0
    good = {**bad, "reports.0.amount": "48", "reports.0.late_needs_reason": "1"}
    r = client.post("/settings/regimes/new", data=good)
    assert r.status_code == 422  # the blank row dropped: the chained row is now row 2
    assert field_has_error(r.text, "f-reports.1.starts_on")
    good["reports.2.starts_on"] = "submitted:first"
    r = client.post("/settings/regimes/new", data=good, follow_redirects=False)
    assert r.status_code == 303, r.text
    with db.unit_of_work(readonly=True) as uow:
        acme = regimes.find_regime(uow, "acme")
        reports = regimes.reports_of(uow, acme.id)
        assert [(x.key, x.amount, x.unit, x.time_zone, x.late_needs_reason) for x in reports] == [
            ("first", 48, "hours", "UTC", True),
            ("second", 3, "calendar_days", "Europe/Paris", False),
        ]  # fmt: skip
    assert r.headers["location"] == f"/settings/regimes/{acme.id}"
    edit = client.get(f"/settings/regimes/{acme.id}/edit").text
    assert 'value="submitted:first"' in edit
    # Drop the second report by clearing its row; rename the regime.
    r = client.post(f"/settings/regimes/{acme.id}/edit", follow_redirects=False, data={
        "name": "ACME contract", "csrf_token": csrf,
        **row(0, key="first", name="First", starts_on="aware_at", amount="24", unit="hours",
              time_zone="UTC", late_needs_reason="1"),
        **row(1, key="", name="")})  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        acme = regimes.find_regime(uow, "acme")
        assert (acme.name, acme.version) == ("ACME contract", 2)
        assert [(x.key, x.amount) for x in regimes.reports_of(uow, acme.id)] == [("first", 24)]
    r = client.post(f"/settings/regimes/{acme.id}/archive", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "Restore" in client.get(f"/settings/regimes/{acme.id}").text


def test_holiday_calendar_pages(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    page = client.get("/settings/holiday-calendars")
    assert "US federal holidays" in page.text
    with db.unit_of_work(readonly=True) as uow:
        us = uow.session.scalars(select(HolidayCalendar).where(HolidayCalendar.key == "us-federal")).one()  # fmt: skip
    shown = client.get(f"/settings/holiday-calendars/{us.id}").text
    assert "Thanksgiving Day" in shown
    assert "2026 by rule" in shown
    r = client.post("/settings/holiday-calendars", data={"key": "Bad", "name": "", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-key")
    r = client.post("/settings/holiday-calendars", data={"key": "uk", "name": "UK", "csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    url = r.headers["location"]
    r = client.post(f"{url}/days", data={"day": "", "name": "x", "csrf_token": csrf})
    assert r.status_code == 422
    assert field_has_error(r.text, "f-day")
    r = client.post(f"{url}/days", data={"day": "2026-08-31", "name": "Summer bank holiday",
                                         "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "Summer bank holiday" in client.get(url).text
