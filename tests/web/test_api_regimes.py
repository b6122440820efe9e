"""/api/v1/regimes and /api/v1/holiday-calendars: everyone signed in reads, admins
change, bad input is a problem+json 4xx naming the field and changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from helpers import Person
from muster.db.uow import Database
from muster.domain.compliance.models import Regime, RegimeReport
from ui_support import count, last_event

REGIMES = "/api/v1/regimes"
CALENDARS = "/api/v1/holiday-calendars"
REPORT = {"key": "notice", "name": "Notice", "starts_on": "aware_at", "amount": 2,
          "unit": "business_days", "time_zone": "Europe/Berlin"}  # fmt: skip


def _errors(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json().get("errors", [])]


def test_everyone_signed_in_reads_the_catalogue(
    client: TestClient, people: dict[str, Person]
) -> None:
    viewer = people["viewer"].auth
    items = client.get(REGIMES, headers=viewer).json()["items"]
    assert len(items) == 6
    sec = client.get(f"{REGIMES}/sec-8k-105", headers=viewer).json()
    (form,) = sec["reports"]
    assert (form["amount"], form["unit"], form["holiday_calendar"]) == (4, "business_days", "us-federal")  # fmt: skip
    assert form["deadline"] == "4 US federal business days from material at, America/New_York"
    assert client.get(f"{REGIMES}/{sec['id']}", headers=viewer).json()["key"] == "sec-8k-105"
    assert client.get(f"{REGIMES}/nope", headers=viewer).status_code == 404
    calendars = client.get(CALENDARS, headers=viewer).json()["items"]
    assert [(c["key"], c["builtin"]) for c in calendars] == [("us-federal", True)]
    assert "5 U.S.C. 6103" in calendars[0]["rule"]
    assert client.get(REGIMES).status_code == 401


def test_only_admins_write(client: TestClient, people: dict[str, Person]) -> None:
    body = {"key": "acme", "name": "ACME", "reports": [REPORT]}
    for role in ("manager", "responder", "viewer"):
        assert client.post(REGIMES, json=body, headers=people[role].auth).status_code == 403
    gdpr = client.get(f"{REGIMES}/gdpr-33", headers=people["viewer"].auth).json()
    manager = people["manager"].auth
    assert client.patch(f"{REGIMES}/{gdpr['id']}", json={"name": "X"}, headers=manager).status_code == 403  # fmt: skip
    assert client.delete(f"{REGIMES}/{gdpr['id']}", headers=manager).status_code == 403
    assert client.post(CALENDARS, json={"key": "x", "name": "X"}, headers=manager).status_code == 403  # fmt: skip


def test_an_admin_creates_edits_and_archives(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    r = client.post(REGIMES, json={"key": "acme", "name": "ACME", "reports": [REPORT]}, headers=admin)  # fmt: skip
    assert r.status_code == 201, r.text
    acme = r.json()
    assert r.headers["location"] == f"{REGIMES}/{acme['id']}"
    assert acme["reports"][0]["deadline"] == "2 business days from aware at, Europe/Berlin"
    chained = {"key": "final", "name": "Final", "starts_on": "submitted:notice", "amount": 1,
               "unit": "months"}  # fmt: skip
    r = client.patch(f"{REGIMES}/{acme['id']}", json={"reports": [REPORT, chained]}, headers=admin)  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["version"], [x["key"] for x in r.json()["reports"]]) == (2, ["notice", "final"])  # fmt: skip
    assert last_event(db, "regime.changed").stream == f"regime:{acme['id']}"
    r = client.delete(f"{REGIMES}/{acme['id']}", headers=admin)
    assert r.status_code == 200
    assert r.json()["archived_at"]
    assert "acme" not in {x["key"] for x in client.get(REGIMES, headers=admin).json()["items"]}
    archived = client.get(f"{REGIMES}?archived=true", headers=admin).json()["items"]
    assert "acme" in {x["key"] for x in archived}
    assert client.delete(f"{REGIMES}/{acme['id']}", headers=admin).status_code == 409
    r = client.post(f"{REGIMES}/{acme['id']}/restore", headers=admin)
    assert r.json()["archived_at"] is None


def test_bad_input_names_the_field_and_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    before = (count(db, Regime), count(db, RegimeReport))
    bad: list[tuple[dict[str, Any], int, str]] = [
        ({"key": "Bad Key", "name": "X", "reports": [REPORT]}, 422, "key"),
        ({"key": "acme", "name": "X", "reports": []}, 422, "reports"),
        ({"key": "acme", "name": "X", "reports": [{**REPORT, "unit": "fortnights"}]}, 422, "reports.0.unit"),
        ({"key": "acme", "name": "X", "reports": [{**REPORT, "amount": 0}]}, 422, "reports.0.amount"),
        ({"key": "acme", "name": "X", "reports": [{**REPORT, "time_zone": "Berlin"}]}, 422, "reports.0.time_zone"),
        ({"key": "acme", "name": "X", "reports": [{**REPORT, "holiday_calendar": "de"}]}, 422, "reports.0.holiday_calendar"),
        ({"key": "acme", "name": "X", "reports": [{**REPORT, "cap_unit": "hours"}]}, 422, "reports.0.cap_starts_on"),
        ({"key": "acme", "name": "X", "reports": [{**REPORT, "starts_on": "submitted:later"}]}, 422, "reports.0.starts_on"),
        ({"key": "gdpr-33", "name": "X", "reports": [REPORT]}, 409, "key"),
    ]  # fmt: skip
    for body, status, field in bad:
        r = client.post(REGIMES, json=body, headers=admin)
        assert r.status_code == status, (body, r.text)
        assert field in _errors(r), (body, r.text)
    gdpr = client.get(f"{REGIMES}/gdpr-33", headers=admin).json()
    r = client.patch(f"{REGIMES}/{gdpr['id']}", json={"key": "gdpr"}, headers=admin)
    assert r.status_code == 422
    assert _errors(r) == ["key"]
    assert (count(db, Regime), count(db, RegimeReport)) == before


def test_holiday_calendar_days_over_the_api(client: TestClient, people: dict[str, Person]) -> None:
    admin = people["admin"].auth
    r = client.post(CALENDARS, json={"key": "uk", "name": "UK bank holidays"}, headers=admin)
    assert r.status_code == 201, r.text
    cal = r.json()
    r = client.post(f"{CALENDARS}/{cal['id']}/days", json={"day": "2026-12-28", "name": "Boxing Day (substitute)"}, headers=admin)  # fmt: skip
    assert r.status_code == 201
    assert [d["day"] for d in r.json()["days"]] == ["2026-12-28"]
    day_id = r.json()["days"][0]["id"]
    r = client.post(f"{CALENDARS}/{cal['id']}/days", json={"day": "28/12/2026", "name": "x"}, headers=admin)  # fmt: skip
    assert r.status_code == 422
    assert _errors(r) == ["day"]
    r = client.post(f"{CALENDARS}/{cal['id']}/days", json={"day": "2026-12-28", "name": "x"}, headers=admin)  # fmt: skip
    assert r.status_code == 409
    assert _errors(r) == ["day"]
    r = client.delete(f"{CALENDARS}/{cal['id']}/days/{day_id}", headers=admin)
    assert r.status_code == 200
    assert r.json()["days"] == []
    assert client.patch(f"{CALENDARS}/{cal['id']}", json={"name": "UK"}, headers=admin).json()["name"] == "UK"  # fmt: skip
    assert client.delete(f"{CALENDARS}/{cal['id']}", headers=admin).status_code == 204
    assert client.get(f"{CALENDARS}/{cal['id']}", headers=admin).status_code == 404
