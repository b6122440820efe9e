"""/api/v1/incidents: declare, filter, change, move, roles, participants, alert links;
bad input refused and nothing changed; restricted incidents invisible to outsiders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from alert_support import make_integration, make_service, send
from helpers import SYSTEM, Person, make_person
from muster.clock import ManualClock, isoformat
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team

API = "/api/v1/incidents"


@pytest.fixture
def service(client: TestClient, people: dict[str, Person]) -> str:
    return make_service(client, people["manager"], "checkout")


def _declare(client: TestClient, person: Person, **fields: object) -> dict[str, object]:
    r = client.post(API, json={"title": "Checkout is down", **fields}, headers=person.auth)
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_declare_show_and_list(client: TestClient, people: dict[str, Person], service: str) -> None:
    r = client.post(
        API,
        json={"title": "Checkout is down", "severity": 2, "service_ids": [service],
              "customer_facing": True, "tags": ["payments", "payments"], "sites": ["AMS-1"]},
        headers=people["responder"].auth,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["Location"] == f"{API}/{made['id']}"
    assert made["reference"] == "INC-1"
    assert (made["status"], made["severity_name"], made["type"]) == (
        "triage",
        "SEV2",
        "operational",
    )
    assert made["services"] == [{"id": service, "name": "checkout"}]
    assert made["tags"] == ["payments"]
    assert made["needs_commander"] is True  # SEV2 requires one
    assert made["next_update_due_at"] is not None  # SEV2 cadence: hourly
    shown = client.get(f"{API}/{made['id']}", headers=people["viewer"].auth).json()
    assert shown["title"] == "Checkout is down"
    second = _declare(client, people["responder"], title="Search is slow", severity=4)
    listed = client.get(API, headers=people["viewer"].auth).json()
    assert [i["id"] for i in listed["items"]] == [second["id"], made["id"]]
    for query, expected in (
        ("severity=2", [made["id"]]),
        (f"service_id={service}", [made["id"]]),
        ("q=search", [second["id"]]),
        ("q=INC-1", [made["id"]]),
        ("site=AMS-1", [made["id"]]),
        ("tag=payments", [made["id"]]),
        ("status=triage", [second["id"], made["id"]]),
        ("status=resolved", []),
    ):
        got = client.get(f"{API}?{query}", headers=people["viewer"].auth).json()
        assert [i["id"] for i in got["items"]] == expected, query
    page = client.get(f"{API}?limit=1", headers=people["viewer"].auth).json()
    rest = client.get(f"{API}?limit=1&cursor={page['next_cursor']}", headers=people["viewer"].auth)
    assert [i["id"] for i in rest.json()["items"]] == [made["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "severity": 6}, "severity"),
        ({"title": "x", "type": "no_such_type"}, "type"),
        ({"title": "x", "service_ids": ["nope"]}, "service_ids.0"),
        ({"title": "x", "detected_at": "2999-01-01T00:00:00Z"}, "detected_at"),
        ({"title": "x", "commander_id": "nobody"}, "commander_id"),
        ({"title": "x", "group_ids": ["nope"]}, "group_ids.0"),
        ({"title": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_declarations_are_refused_and_change_nothing(
    client: TestClient, people: dict[str, Person], body: dict[str, object], field: str
) -> None:
    r = client.post(API, json=body, headers=people["responder"].auth)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]]
    assert client.get(API, headers=people["admin"].auth).json()["items"] == []


def test_who_may_do_what(client: TestClient, people: dict[str, Person]) -> None:
    assert client.get(API).status_code == 401
    r = client.post(API, json={"title": "x"}, headers=people["viewer"].auth)
    assert r.status_code == 403
    made = _declare(client, people["responder"])
    one = f"{API}/{made['id']}"
    assert client.patch(one, json={"title": "y"}, headers=people["viewer"].auth).status_code == 403
    fix = {"field": "detected_at", "at": "2026-01-05T08:00:00Z", "reason": "paged late"}
    r = client.post(f"{one}/timestamp-corrections", json=fix, headers=people["responder"].auth)
    assert r.status_code == 403
    r = client.post(f"{one}/timestamp-corrections", json=fix, headers=people["manager"].auth)
    assert r.status_code == 200, r.text
    assert r.json()["detected_at"] == "2026-01-05T08:00:00Z"


def test_fields_change_and_transitions(
    client: TestClient, people: dict[str, Person], clock: ManualClock
) -> None:
    made = _declare(client, people["responder"])
    one = f"{API}/{made['id']}"
    r = client.patch(
        one, json={"severity": 1, "impact": "No orders"}, headers=people["responder"].auth
    )
    assert (r.json()["severity"], r.json()["impact"]) == (1, "No orders")
    clock.advance(timedelta(minutes=5))
    r = client.post(
        f"{one}/transitions", json={"status": "contained"}, headers=people["responder"].auth
    )
    assert r.status_code == 200
    assert r.json()["contained_at"] == isoformat(clock.now())
    r = client.post(
        f"{one}/transitions", json={"status": "triage"}, headers=people["responder"].auth
    )
    assert r.status_code == 409
    assert "allowed from contained" in r.json()["errors"][0]["reason"]
    r = client.post(f"{one}/transitions", json={"status": "done"}, headers=people["responder"].auth)
    assert r.status_code == 422
    assert client.get(one, headers=people["viewer"].auth).json()["status"] == "contained"
    r = client.patch(one, json={"restricted": True}, headers=people["responder"].auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "restricted"


def test_roles_hand_off_with_history(client: TestClient, people: dict[str, Person]) -> None:
    made = _declare(client, people["responder"], severity=1)
    one = f"{API}/{made['id']}"
    first, second = people["responder"], people["manager"]
    r = client.put(f"{one}/roles/commander", json={"user_id": first.id}, headers=first.auth)
    assert r.status_code == 200, r.text
    assert r.json()["needs_commander"] is False
    r = client.put(f"{one}/roles/commander", json={"user_id": second.id}, headers=first.auth)
    assert [(h["role"], h["user_id"]) for h in r.json()["roles"]] == [("commander", second.id)]
    history = client.get(f"{one}/role-history", headers=people["viewer"].auth).json()
    assert [(h["user_id"], h["ended_at"] is None) for h in history] == [
        (first.id, False), (second.id, True),
    ]  # fmt: skip
    assert client.put(f"{one}/roles/commander", json={}, headers=first.auth).status_code == 422
    r = client.put(f"{one}/roles/jester", json={"user_id": first.id}, headers=first.auth)
    assert r.status_code == 422
    assert client.delete(f"{one}/roles/commander", headers=first.auth).json()["needs_commander"]
    assert client.delete(f"{one}/roles/commander", headers=first.auth).status_code == 409
    participants = client.get(f"{one}/participants", headers=people["viewer"].auth).json()
    assert {p["user_id"] for p in participants} == {first.id, second.id}


def test_escalated_from_an_alert_group(client: TestClient, people: dict[str, Person]) -> None:
    service = make_service(client, people["manager"], "payments")
    key = make_integration(client, people["manager"], service)["key"]
    send(client, key, "Card payments failing")
    alert = client.get("/api/v1/alerts", headers=people["admin"].auth).json()["items"][0]
    group_id = alert["group_id"]
    made = _declare(client, people["responder"], group_ids=[group_id])
    other = _declare(client, people["responder"], title="Another")
    r = client.post(
        f"{API}/{other['id']}/alert-groups", json={"group_ids": [group_id]},
        headers=people["responder"].auth,
    )  # fmt: skip
    assert r.status_code == 409
    assert made["id"] != other["id"]


def _security_person(db: Database) -> Person:
    person = make_person(db, "responder", "sec@example.com")
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Security"))
        team.sees_restricted = True
        do_add_team_member(uow, SYSTEM, team.id, MemberAdd(user_id=person.id, role="member"))
        uow.commit()
    return person


def test_restricted_incidents_are_invisible_to_outsiders(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    sec = _security_person(db)
    secret = _declare(client, sec, title="Credential stuffing on login", type="security")
    assert secret["restricted"] is True
    open_one = _declare(client, people["responder"], title="Login is slow")
    one = f"{API}/{secret['id']}"
    outsider = people["responder"]
    listed = client.get(f"{API}?q=login", headers=outsider.auth).json()["items"]
    assert [i["id"] for i in listed] == [open_one["id"]]
    for method, url, body in (
        ("GET", one, None),
        ("PATCH", one, {"title": "peek"}),
        ("POST", f"{one}/transitions", {"status": "investigating"}),
        ("GET", f"{one}/participants", None),
        ("GET", f"{one}/role-history", None),
        ("POST", f"{one}/join", None),
        ("PUT", f"{one}/roles/scribe", {"user_id": outsider.id}),
    ):
        r = client.request(method, url, json=body, headers=outsider.auth)
        assert r.status_code == 404, (method, url, r.text)
    assert "Credential" not in client.get(f"{API}?q=Credential", headers=outsider.auth).text
    for who in (people["admin"], sec):
        assert client.get(one, headers=who.auth).status_code == 200
    # Added as a participant, the outsider sees it; when they leave, they no longer do.
    r = client.post(f"{one}/participants", json={"user_id": outsider.id}, headers=sec.auth)
    assert r.status_code == 201
    assert client.get(one, headers=outsider.auth).status_code == 200
    seen = client.get(f"{API}?q=login", headers=outsider.auth).json()["items"]
    assert {i["id"] for i in seen} == {open_one["id"], secret["id"]}
    r = client.delete(f"{one}/participants/{outsider.id}", headers=outsider.auth)
    assert r.status_code == 200
    assert client.get(one, headers=outsider.auth).status_code == 404
