"""/api/v1/retention-policies, /api/v1/retention-runs and /settings/retention: admins
see and set days per kind; bad input (negative, too many days, unknown kind) gets a 422
naming the field and changes nothing; others are refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person
from muster.db.uow import Database
from muster.domain.retention.models import RetentionPolicy
from ui_support import as_person, count, field_has_error

API = "/api/v1/retention-policies"


def test_admins_set_and_reset_days_per_kind_through_the_api(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    admin = people["admin"].auth
    listed = client.get(API, headers=admin)
    assert listed.status_code == 200
    kinds = {p["kind"]: p for p in listed.json()["items"]}
    assert set(kinds) == {"alerts", "raw_payloads", "incidents", "notifications", "evidence"}
    assert kinds["incidents"]["days"] == 0
    put = client.put(f"{API}/incidents", json={"days": 365}, headers=admin)
    assert put.status_code == 200, put.text
    assert (put.json()["days"], put.json()["source"]) == (365, "policy")
    assert put.json()["updated_by"] == people["admin"].email
    reset = client.delete(f"{API}/incidents", headers=admin)
    assert (reset.status_code, reset.json()["source"]) == (200, "default")
    runs = client.get("/api/v1/retention-runs", headers=admin)
    assert (runs.status_code, runs.json()["items"]) == (200, [])


def test_bad_input_is_refused_naming_the_field(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    admin = people["admin"].auth
    negative = client.put(f"{API}/alerts", json={"days": -5}, headers=admin)
    assert negative.status_code == 422
    assert "days" in negative.text
    too_long = client.put(f"{API}/alerts", json={"days": 99_999}, headers=admin)
    assert too_long.status_code == 422
    wrong_type = client.put(f"{API}/alerts", json={"days": "soon"}, headers=admin)
    assert wrong_type.status_code == 422
    extra = client.put(f"{API}/alerts", json={"days": 3, "force": True}, headers=admin)
    assert extra.status_code == 422
    unknown = client.put(f"{API}/everything", json={"days": 3}, headers=admin)
    assert unknown.status_code == 422
    assert '"kind"' in unknown.text
    assert client.delete(f"{API}/everything", headers=admin).status_code == 422
    assert count(db, RetentionPolicy) == 0
    for role in ("manager", "responder", "viewer"):
        refused = client.put(f"{API}/alerts", json={"days": 3}, headers=people[role].auth)
        assert refused.status_code == 403
        assert client.get(API, headers=people[role].auth).status_code == 403
    assert count(db, RetentionPolicy) == 0


def test_the_settings_page_sets_days_and_shows_errors_in_place(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    csrf = as_person(client, people["admin"])
    page = client.get("/settings/retention")
    assert page.status_code == 200
    assert "raw_payloads" in page.text
    bad = client.post("/settings/retention/alerts", data={"csrf_token": csrf, "days": "-1"})
    assert bad.status_code == 422
    assert field_has_error(bad.text, "alerts-days")
    assert count(db, RetentionPolicy) == 0
    unknown = client.post("/settings/retention/nope", data={"csrf_token": csrf, "days": "3"})
    assert unknown.status_code == 422
    assert "Unknown retention kind" in unknown.text
    ok = client.post("/settings/retention/alerts", data={"csrf_token": csrf, "days": "90"},
                     follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(RetentionPolicy, "alerts").days == 90
    assert "90 days" in client.get("/settings/retention").text
    reset = client.post("/settings/retention/alerts/reset", data={"csrf_token": csrf},
                        follow_redirects=False)  # fmt: skip
    assert reset.status_code == 303
    assert count(db, RetentionPolicy) == 0


def test_the_settings_page_is_for_admins(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["manager"])
    assert client.get("/settings/retention").status_code == 403
