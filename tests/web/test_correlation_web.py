"""Correlation through the API and the pages: admins edit rules and the grouping
settings; bad input is refused naming the field and changes nothing; a match and a
cluster show what made them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from alert_support import make_service
from correlation_support import (
    correlate,
    door,
    group_alerts,
    ingest,
    make_place,
    site_event,
    suricata,
    wazuh,
)
from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.correlation.ignore_list import DEFAULT_IGNORED
from muster.domain.correlation.models import CorrelationRule
from ui_support import as_person, count, events_of_type, field_has_error

RULES = "/api/v1/correlation-rules"


def rule_body(**fields: Any) -> dict[str, Any]:
    return {"name": "Forced door and a person", "kinds": ["door_forced_open", "detected:person"],
            "scope": "zone", "restricted_only": True, "window_minutes": 2, "outcome": "incident",
            "title": "Unauthorized access", "incident_type": "physical_security",
            "incident_severity": 2, **fields}  # fmt: skip


def test_admins_create_change_and_delete_rules(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    r = client.post(RULES, json=rule_body(), headers=admin)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert (rule["kinds"], rule["incident_severity"], rule["playbook_key"]) == (
        ["door_forced_open", "detected:person"], 2, None)  # fmt: skip
    assert client.get(RULES, headers=people["viewer"].auth).json()["items"][0]["id"] == rule["id"]
    r = client.put(f"{RULES}/{rule['id']}", json=rule_body(window_minutes=5), headers=admin)
    assert r.json()["window_minutes"] == 5
    (changed,) = events_of_type(db, "correlation_rule.updated")
    assert changed.data["changes"] == {"window_minutes": [2, 5]}
    assert client.delete(f"{RULES}/{rule['id']}", headers=admin).status_code == 204
    assert count(db, CorrelationRule) == 0
    assert [e.type for e in events_of_type(db, "correlation_rule.deleted")] == [
        "correlation_rule.deleted"
    ]


def test_bad_rules_are_refused_naming_the_problem(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    cases: list[tuple[dict[str, Any], str]] = [
        (rule_body(kinds=["door_forced_open"]), "kinds"),
        (rule_body(kinds=["door_forced_open", "door_kicked"]), "kinds"),
        (rule_body(kinds=["tamper", "tamper"]), "kinds"),
        (rule_body(window_minutes=0), "window_minutes"),
        (rule_body(window_minutes=100_000), "window_minutes"),
        (rule_body(outcome="alert"), "service_id"),
        (rule_body(incident_type="no_such_type"), "incident_type"),
        (rule_body(playbook_key="no-such-playbook"), "playbook_key"),
        (rule_body(service_id="01a00000-0000-7000-8000-000000000000"), "service_id"),
        (rule_body(name="x" * 201), "name"),
        (rule_body(surprise=1), "surprise"),
    ]
    for body, field in cases:
        r = client.post(RULES, json=body, headers=admin)
        assert r.status_code in (400, 422), (field, r.text)
        assert field in r.text, (field, r.text)
    assert count(db, CorrelationRule) == 0
    assert client.post(RULES, json=rule_body(), headers=admin).status_code == 201
    dup = client.post(RULES, json=rule_body(), headers=admin)
    assert dup.status_code == 409
    assert "name" in dup.text
    assert count(db, CorrelationRule) == 1


def test_only_admins_may_edit(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    for role in ("viewer", "responder", "manager"):
        r = client.post(RULES, json=rule_body(), headers=people[role].auth)
        assert r.status_code == 403
        r = client.put("/api/v1/correlation-settings", json={"window_minutes": 5, "kinds": ["ip"]},
                       headers=people[role].auth)  # fmt: skip
        assert r.status_code == 403
    assert (
        client.get("/api/v1/correlation-matches", headers=people["viewer"].auth).status_code == 403
    )
    assert client.post(RULES, json=rule_body()).status_code == 401
    assert count(db, CorrelationRule) == 0


def test_grouping_settings(client: TestClient, people: dict[str, Person]) -> None:
    url = "/api/v1/correlation-settings"
    assert client.get(url, headers=people["viewer"].auth).json() == {
        "window_minutes": 60, "kinds": ["ip", "user-account", "hostname"],
        "ignored": list(DEFAULT_IGNORED)}  # fmt: skip
    admin = people["admin"].auth
    bad = client.put(url, json={"window_minutes": 30, "kinds": ["ip", "planet"]}, headers=admin)
    assert bad.status_code == 422
    assert "kinds" in bad.text
    r = client.put(url, json={"window_minutes": 30, "kinds": ["ip"]}, headers=admin)
    assert r.json() == {"window_minutes": 30, "kinds": ["ip"], "ignored": list(DEFAULT_IGNORED)}
    assert client.get(url, headers=people["viewer"].auth).json()["window_minutes"] == 30


def test_a_match_shows_through_the_api_and_its_page(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    place = make_place(db)
    client.post(RULES, json=rule_body(), headers=people["admin"].auth)
    t0 = clock.now()
    door = site_event(db, place, "door_forced_open", t0)
    person = site_event(
        db, place, "detected:person", t0 + timedelta(seconds=40), identity="plate:B-MU 123"
    )
    assert correlate(db) == 1
    (match,) = client.get("/api/v1/correlation-matches", headers=people["responder"].auth).json()[
        "items"
    ]
    assert [e["id"] for e in match["events"]] == [door, person]
    assert match["incident_id"]
    by_incident = {"incident_id": match["incident_id"]}
    only = client.get("/api/v1/correlation-matches", params=by_incident,
                      headers=people["admin"].auth).json()["items"]  # fmt: skip
    # A physical-security incident is restricted by default: hidden from outsiders.
    hidden = client.get("/api/v1/correlation-matches", params=by_incident,
                        headers=people["responder"].auth)  # fmt: skip
    assert hidden.status_code == 404
    assert [m["id"] for m in only] == [match["id"]]
    as_person(client, people["responder"])
    page = client.get(f"/correlation/matches/{match['id']}")
    assert page.status_code == 200
    assert "door_forced_open" in page.text
    assert "plate:B-MU 123" in page.text
    assert "Server room" in page.text
    assert f'href="/incidents/{match["incident_id"]}"' in page.text
    assert client.get("/correlation/matches/nope").status_code == 404
    overview = client.get("/correlation")
    assert f"/correlation/matches/{match['id']}" in overview.text


def test_the_rule_form(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    service = make_service(client, people["manager"], "facilities")
    csrf = as_person(client, people["admin"])
    assert 'name="kinds"' in client.get("/correlation/rules/new").text
    form = {"name": "Held door and tamper", "enabled": "1", "kinds": "door_held_open, tamper",
            "scope": "zone", "window_minutes": "3", "outcome": "alert", "title": "Door tampered with",
            "service_id": service, "alert_severity": "error", "csrf_token": csrf}  # fmt: skip
    bad = client.post("/correlation/rules/new", data={**form, "kinds": "door_held_open, opened"})
    assert bad.status_code == 422
    assert field_has_error(bad.text, "f-kinds")
    assert count(db, CorrelationRule) == 0
    r = client.post("/correlation/rules/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    rule_id = r.headers["location"].split("#rule-")[1]
    edit = client.get(f"/correlation/rules/{rule_id}/edit").text
    assert 'value="door_held_open, tamper"' in edit
    r = client.post(f"/correlation/rules/{rule_id}/edit", data={**form, "window_minutes": "9"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(CorrelationRule, rule_id)
        assert (row.window_minutes, row.outcome, row.service_id) == (9, "alert", service)
    client.post("/correlation/rules/example", data={"csrf_token": csrf})
    assert count(db, CorrelationRule) == 2
    client.post(f"/correlation/rules/{rule_id}/delete", data={"csrf_token": csrf})
    assert count(db, CorrelationRule) == 1
    client.cookies.clear()
    as_person(client, people["viewer"])
    page = client.get("/correlation")
    assert page.status_code == 200
    assert "Unauthorized access to a restricted zone" in page.text
    assert "/correlation/rules/new" not in page.text
    assert client.get("/correlation/rules/new").status_code == 403


def test_an_alert_page_shows_its_cluster_and_why(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    hids = door(db, make_service(client, people["manager"], "hosts"), "wazuh")
    nids = door(db, make_service(client, people["manager"], "network"), "suricata")
    first, _ = ingest(db, hids, wazuh())
    clock.advance(minutes=2)
    second, _ = ingest(db, nids, suricata())
    assert group_alerts(db) == 2
    (cluster,) = client.get("/api/v1/alert-clusters", params={"alert_id": second},
                            headers=people["viewer"].auth).json()["items"]  # fmt: skip
    assert [m["alert_id"] for m in cluster["members"]] == [first, second]
    assert {"kind": "ip", "value": "203.0.113.7"} in cluster["members"][1]["shared"]
    as_person(client, people["viewer"])
    page = client.get(f"/alerts/{second}").text
    assert f'href="/alert-clusters/{cluster["id"]}"' in page
    assert "<code>203.0.113.7</code> (ip)" in page
    group = client.get(f"/alert-clusters/{cluster['id']}")
    assert group.status_code == 200
    assert "IP address <code>203.0.113.7</code>" in group.text
    assert "wazuh" in group.text
    assert "suricata" in group.text
    assert client.get("/alert-clusters/nope").status_code == 404
