"""PUT /api/v1/schedules/{id}/layers/order takes effect from ``effective_from``: a time in
the past is refused by field, and the order before that time stays as it was."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from helpers import Person, make_person
from muster.clock import isoformat
from muster.db.uow import Database
from muster.domain.oncall.models import ScheduleEra
from oncall_support import MONDAY
from ui_support import count

API = "/api/v1"


def test_reorder_from_a_time(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    m = people["manager"].auth
    alice = make_person(db, "responder", "alice@example.com")
    bob = make_person(db, "responder", "bob@example.com")
    team = client.post(f"{API}/teams", json={"name": "Core"}, headers=m).json()["id"]
    body = {"name": "Primary", "team_id": team, "time_zone": "UTC"}
    sid = client.post(f"{API}/schedules", json=body, headers=m).json()["id"]
    layers = []
    for name, person in (("Base", alice), ("Top", bob)):
        r = client.post(f"{API}/schedules/{sid}/layers", json={"name": name}, headers=m)
        layer = next(x["id"] for x in r.json()["layers"] if x["name"] == name)
        rotation = {"participants": [person.id], "start": isoformat(MONDAY),
                    "turn_length": 1, "turn_unit": "days"}  # fmt: skip
        r = client.put(f"{API}/schedules/{sid}/layers/{layer}/rotation", json=rotation, headers=m)
        assert r.status_code == 200, r.text
        layers.append(layer)
    url = f"{API}/schedules/{sid}/layers/order"
    past = {"layer_ids": layers, "effective_from": isoformat(MONDAY - timedelta(days=1))}
    r = client.put(url, json=past, headers=m)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["effective_from"]
    assert (
        client.put(url, json={"layer_ids": layers}, headers=people["responder"].auth).status_code
        == 403
    )
    later = MONDAY + timedelta(days=1)
    r = client.put(url, json={"layer_ids": layers, "effective_from": isoformat(later)}, headers=m)
    assert r.status_code == 200, r.text
    assert count(db, ScheduleEra) == 1

    def who(at: str) -> str:
        r = client.get(f"{API}/schedules/{sid}/on-call", params={"at": at}, headers=m)
        assert r.status_code == 200, r.text
        return str(r.json()["user_id"])

    assert who(isoformat(MONDAY + timedelta(hours=1))) == bob.id
    assert who(isoformat(later + timedelta(hours=1))) == alice.id
