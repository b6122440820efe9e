"""/api/v1/incidents/{id}/updates and /api/v1/incident-subscriptions."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person

API = "/api/v1/incidents"


def _declare(client: TestClient, person: Person, **fields: object) -> str:
    r = client.post(API, json={"title": "Checkout is down", **fields}, headers=person.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_updates_internal_and_public(client: TestClient, people: dict[str, Person]) -> None:
    incident = _declare(client, people["responder"], severity=1)
    url = f"{API}/{incident}/updates"
    internal = {
        "kind": "internal",
        "conditions": "5xx at 40%",
        "actions": "rolling back",
        "needs": "DBA",
    }
    r = client.post(url, json=internal, headers=people["responder"].auth)
    assert r.status_code == 201, r.text
    assert r.json()["needs"] == "DBA"
    public = {
        "kind": "public",
        "body": "Payments fail for some customers.",
        "public_status": "identified",
    }
    assert client.post(url, json=public, headers=people["responder"].auth).status_code == 201
    listed = client.get(url, headers=people["viewer"].auth).json()["items"]
    assert [u["kind"] for u in listed] == ["public", "internal"]
    only = client.get(f"{url}?kind=public", headers=people["viewer"].auth).json()["items"]
    assert [u["public_status"] for u in only] == ["identified"]
    shown = client.get(f"{API}/{incident}", headers=people["viewer"].auth).json()
    assert shown["next_update_due_at"] is not None
    for bad, field in (
        ({"kind": "internal"}, "conditions"),
        ({"kind": "public", "body": "x", "public_status": "panicking"}, "public_status"),
        ({"kind": "gossip", "body": "x"}, "kind"),
    ):
        r = client.post(url, json=bad, headers=people["responder"].auth)
        assert r.status_code == 422, bad
        assert any(field in e["field"] for e in r.json()["errors"]), r.json()
    assert client.post(url, json=internal, headers=people["viewer"].auth).status_code == 403
    assert len(client.get(url, headers=people["viewer"].auth).json()["items"]) == 2


def test_subscriptions(client: TestClient, people: dict[str, Person]) -> None:
    incident = _declare(client, people["responder"])
    subs = "/api/v1/incident-subscriptions"
    mine = {"scope_type": "incident", "scope_id": incident}
    r = client.post(subs, json=mine, headers=people["viewer"].auth)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["subscriber_id"], made["scope_name"] != "") == (people["viewer"].id, True)
    assert client.post(subs, json=mine, headers=people["viewer"].auth).status_code == 409
    other = {**mine, "subscriber_id": people["manager"].id}
    assert client.post(subs, json=other, headers=people["viewer"].auth).status_code == 403
    assert client.post(subs, json=other, headers=people["responder"].auth).status_code == 201
    severity = {"scope_type": "severity", "scope_id": "SEV1"}
    assert client.post(subs, json=severity, headers=people["viewer"].auth).status_code == 201
    listed = client.get(
        f"{subs}?scope_type=incident&scope_id={incident}", headers=people["viewer"].auth
    )
    assert {s["subscriber_id"] for s in listed.json()["items"]} == {
        people["viewer"].id, people["manager"].id,
    }  # fmt: skip
    r = client.delete(f"{subs}/{made['id']}", headers=people["viewer"].auth)
    assert r.status_code == 204
    listed = client.get(
        f"{subs}?scope_type=incident&scope_id={incident}", headers=people["viewer"].auth
    )
    assert [s["subscriber_id"] for s in listed.json()["items"]] == [people["manager"].id]
    r = client.post(
        subs, json={"scope_type": "incident", "scope_id": "nope"}, headers=people["viewer"].auth
    )
    assert r.status_code in (404, 422)
