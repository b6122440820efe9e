"""/api/v1/schedules and on-call queries: CRUD, layers, rotation, overrides, swaps,
temporary schedules, who is on call, shifts, permissions and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers import Person, make_person
from muster.clock import ManualClock, isoformat
from muster.db.uow import Database
from muster.domain.oncall.models import RotationVersion, Schedule, ScheduleOverride
from oncall_support import MONDAY, days
from ui_support import count

H = timedelta(hours=1)
API = "/api/v1"


@pytest.fixture
def crew(db: Database, people: dict[str, Person]) -> dict[str, Person]:
    out = dict(people)
    out["alice"] = make_person(db, "responder", "alice@example.com")
    out["bob"] = make_person(db, "responder", "bob@example.com")
    return out


def _team(client: TestClient, manager: Person) -> str:
    r = client.post(f"{API}/teams", json={"name": "Core"}, headers=manager.auth)
    assert r.status_code == 201, r.text
    team_id: str = r.json()["id"]
    return team_id


def _schedule(client: TestClient, crew: dict[str, Person], **extra: Any) -> dict[str, Any]:
    m = crew["manager"].auth
    body = {
        "name": "Primary",
        "team_id": _team(client, crew["manager"]),
        "time_zone": "Europe/Berlin",
    }
    r = client.post(f"{API}/schedules", json=body | extra, headers=m)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{API}/schedules/{r.json()['id']}"
    sid = r.json()["id"]
    r = client.post(f"{API}/schedules/{sid}/layers", json={"name": "Week"}, headers=m)
    assert r.status_code == 201, r.text
    layer = r.json()["layers"][0]["id"]
    rotation = {"participants": [crew["alice"].id, crew["bob"].id], "start": isoformat(MONDAY),
                "turn_length": 1, "turn_unit": "weeks"}  # fmt: skip
    r = client.put(f"{API}/schedules/{sid}/layers/{layer}/rotation", json=rotation, headers=m)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_schedule_crud_and_rotation(client: TestClient, crew: dict[str, Person]) -> None:
    m = crew["manager"].auth
    schedule = _schedule(client, crew)
    sid = schedule["id"]
    layer = schedule["layers"][0]
    assert layer["rotation"]["participant_names"] == ["Alice", "Bob"]
    assert layer["rotation"]["handoff"] == "10:00"  # 09:00 UTC in Berlin
    assert layer["rotation"]["effective_from"] == "2026-01-05T09:00:00Z"
    r = client.patch(f"{API}/schedules/{sid}", json={"description": "24/7"}, headers=m)
    assert r.json()["description"] == "24/7"
    r = client.get(f"{API}/schedules", headers=crew["viewer"].auth)
    assert [s["name"] for s in r.json()["items"]] == ["Primary"]
    r = client.patch(f"{API}/schedules/{sid}/layers/{layer['id']}", json={"name": "Weekly"},
                     headers=m)  # fmt: skip
    assert r.json()["layers"][0]["name"] == "Weekly"
    r = client.post(f"{API}/schedules/{sid}/layers", json={"name": "Top"}, headers=m)
    top = r.json()["layers"][0]["id"]
    r = client.put(f"{API}/schedules/{sid}/layers/order", json={"layer_ids": [layer["id"], top]},
                   headers=m)  # fmt: skip
    assert [x["id"] for x in r.json()["layers"]] == [layer["id"], top]
    r = client.delete(f"{API}/schedules/{sid}/layers/{top}", headers=m)
    assert [x["id"] for x in r.json()["layers"]] == [layer["id"]]
    r = client.post(f"{API}/schedules/{sid}/archive", headers=m)
    assert r.json()["archived_at"] is not None
    r = client.get(f"{API}/schedules/{sid}/on-call", headers=m)
    assert r.json()["user_id"] is None


def test_on_call_shifts_and_everywhere(
    client: TestClient, crew: dict[str, Person], clock: ManualClock
) -> None:
    m = crew["manager"].auth
    sid = _schedule(client, crew)["id"]
    body = {"user_id": crew["bob"].id, "start": isoformat(MONDAY + days(1)),
            "end": isoformat(MONDAY + days(1) + 8 * H)}  # fmt: skip
    r = client.post(f"{API}/schedules/{sid}/overrides", json=body, headers=m)
    assert r.status_code == 201, r.text
    override = r.json()
    r = client.get(f"{API}/schedules/{sid}/on-call", params={"at": isoformat(MONDAY + days(1) + H)},
                   headers=crew["viewer"].auth)  # fmt: skip
    assert r.status_code == 200
    now = r.json()
    assert (now["user_name"], now["kind"], now["source_id"]) == ("Bob", "override", override["id"])
    r = client.get(f"{API}/schedules/{sid}/shifts", headers=crew["viewer"].auth,
                   params={"start": isoformat(MONDAY), "end": isoformat(MONDAY + days(14))})  # fmt: skip
    shifts = r.json()
    assert [(s["user_name"], s["kind"]) for s in shifts["final"]] == [
        ("Alice", "layer"), ("Bob", "override"), ("Alice", "layer"), ("Bob", "layer")]  # fmt: skip
    assert [len(x["shifts"]) for x in shifts["layers"]] == [2]
    assert shifts["gaps"] == []
    r = client.get(f"{API}/oncall", headers=crew["viewer"].auth)
    assert [(x["schedule_name"], x["user_name"]) for x in r.json()["items"]] == [
        ("Primary", "Alice")
    ]
    r = client.get(f"{API}/users/{crew['bob'].id}/shifts", headers=crew["viewer"].auth,
                   params={"start": isoformat(MONDAY), "end": isoformat(MONDAY + days(14))})  # fmt: skip
    assert [(x["kind"], x["schedule_name"]) for x in r.json()["items"]] == [
        ("override", "Primary"), ("layer", "Primary")]  # fmt: skip
    r = client.get(f"{API}/schedules/{sid}/gaps", params={"days": 30}, headers=m)
    assert r.json()["items"] == []
    r = client.get(f"{API}/schedules/{sid}/overrides", headers=m)
    assert [o["id"] for o in r.json()["items"]] == [override["id"]]
    r = client.post(f"{API}/schedules/{sid}/overrides/{override['id']}/cancel", headers=m)
    assert r.json()["items"][0]["cancelled_at"] is not None


def test_swap_and_temporary_through_the_api(client: TestClient, crew: dict[str, Person]) -> None:
    m = crew["manager"].auth
    sid = _schedule(client, crew)["id"]
    week2 = MONDAY + days(7)
    swap = {"first": {"user_id": crew["alice"].id, "start": isoformat(MONDAY + days(2)),
                      "end": isoformat(MONDAY + days(3))},
            "second": {"user_id": crew["bob"].id, "start": isoformat(week2 + days(2)),
                       "end": isoformat(week2 + days(3))}}  # fmt: skip
    r = client.post(f"{API}/schedules/{sid}/swaps", json=swap, headers=m)
    assert r.status_code == 201, r.text
    pair = r.json()["items"]
    assert pair[0]["swap_id"] == pair[1]["swap_id"]
    assert [o["user_name"] for o in pair] == ["Bob", "Alice"]
    start = MONDAY + days(20)
    temp = {"start": isoformat(start), "end": isoformat(start + days(1)),
            "shifts": [{"user_id": crew["alice"].id, "start": isoformat(start),
                        "end": isoformat(start + 12 * H)}]}  # fmt: skip
    r = client.post(f"{API}/schedules/{sid}/temporary", json=temp, headers=m)
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    r = client.get(f"{API}/schedules/{sid}/temporary", headers=m)
    assert [t["id"] for t in r.json()["items"]] == [tid]
    r = client.get(f"{API}/schedules/{sid}/gaps", params={"days": 30}, headers=m)
    assert r.json()["items"] == [{"start": isoformat(start + 12 * H),
                                  "end": isoformat(start + days(1))}]  # fmt: skip
    r = client.post(f"{API}/schedules/{sid}/temporary/{tid}/cancel", headers=m)
    assert r.json()["cancelled_at"] is not None


def test_viewer_and_responder_cannot_edit_and_nothing_changes(
    client: TestClient, crew: dict[str, Person], db: Database
) -> None:
    schedule = _schedule(client, crew)
    sid, layer = schedule["id"], schedule["layers"][0]["id"]
    before = (count(db, Schedule), count(db, RotationVersion), count(db, ScheduleOverride))
    for who in ("viewer", "responder"):
        auth = crew[who].auth
        calls = [
            client.post(f"{API}/schedules", json={"name": "X", "team_id": schedule["team_id"],
                                                  "time_zone": "UTC"}, headers=auth),
            client.patch(f"{API}/schedules/{sid}", json={"name": "Y"}, headers=auth),
            client.put(f"{API}/schedules/{sid}/layers/{layer}/rotation", headers=auth, json={
                "participants": [crew["bob"].id], "start": isoformat(MONDAY), "turn_length": 1,
                "turn_unit": "days"}),
            client.post(f"{API}/schedules/{sid}/overrides", headers=auth, json={
                "user_id": crew["bob"].id, "start": isoformat(MONDAY + H),
                "end": isoformat(MONDAY + 2 * H)}),
            client.post(f"{API}/schedules/{sid}/archive", headers=auth),
        ]  # fmt: skip
        assert [c.status_code for c in calls] == [403] * len(calls)
        assert calls[0].headers["content-type"] == "application/problem+json"
    after = (count(db, Schedule), count(db, RotationVersion), count(db, ScheduleOverride))
    assert before == after


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("schedules", {"name": "Z", "time_zone": "Mars/Olympus"}, "time_zone"),
        ("rotation", {"participants": [], "turn_length": 1}, "participants"),
        ("rotation", {"turn_length": 0}, "turn_length"),
        ("rotation", {"turn_unit": "months"}, "turn_unit"),
        ("rotation", {"restrictions": [{"days": [7], "start": "09:00", "end": "17:00"}]},
         "restrictions.0.days.0"),
        ("rotation", {"restrictions": [{"days": [1], "start": "9am", "end": "17:00"}]},
         "restrictions.0.start"),
        ("rotation", {"start": "2026-01-05T09:00:00"}, "start"),
        ("override", {"end": "2026-01-05T08:00:00Z"}, "end"),
        ("override", {"user_id": "nobody"}, "user_id"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(
    client: TestClient, crew: dict[str, Person], db: Database, path: str, body: dict[str, Any],
    field: str,
) -> None:  # fmt: skip
    m = crew["manager"].auth
    schedule = _schedule(client, crew)
    sid, layer = schedule["id"], schedule["layers"][0]["id"]
    versions = count(db, RotationVersion)
    if path == "schedules":
        r = client.post(f"{API}/schedules", json={"team_id": schedule["team_id"]} | body, headers=m)
    elif path == "rotation":
        full = {"participants": [crew["bob"].id], "start": isoformat(MONDAY), "turn_length": 1,
                "turn_unit": "days"} | body  # fmt: skip
        r = client.put(f"{API}/schedules/{sid}/layers/{layer}/rotation", json=full, headers=m)
    else:
        full = {"user_id": crew["bob"].id, "start": isoformat(MONDAY + H),
                "end": isoformat(MONDAY + 2 * H)} | body  # fmt: skip
        r = client.post(f"{API}/schedules/{sid}/overrides", json=full, headers=m)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert count(db, RotationVersion) == versions
    assert count(db, ScheduleOverride) == 0


def test_query_windows_are_checked(client: TestClient, crew: dict[str, Person]) -> None:
    sid = _schedule(client, crew)["id"]
    auth = crew["viewer"].auth
    r = client.get(f"{API}/schedules/{sid}/shifts", headers=auth,
                   params={"start": isoformat(MONDAY), "end": isoformat(MONDAY - H)})  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "end"
    r = client.get(f"{API}/schedules/{sid}/on-call", params={"at": "2026-01-05T09:00:00"},
                   headers=auth)  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "at"
    r = client.get(f"{API}/schedules/nope/on-call", headers=auth)
    assert r.status_code == 404
