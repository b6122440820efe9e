"""/api/v1/incidents/{id}/observables|assets|techniques, /api/v1/observables and
/api/v1/attack/techniques: viewers read, responders write, bad values refused naming the
field, restricted incidents a 404 for outsiders and never in a search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from helpers import Person, make_person
from incident_ui_support import new_incident
from muster.clock import ManualClock
from muster.db.uow import Database

API = "/api/v1"


@dataclass
class Folks:
    ic: Person
    outsider: Person
    viewer: Person


@pytest.fixture
def folks(db: Database, people: dict[str, Person]) -> Folks:
    return Folks(
        make_person(db, "responder", "ic@example.com"),
        make_person(db, "responder", "outsider@example.com"),
        people["viewer"],
    )


def fields_of(body: dict[str, object]) -> list[object]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e["field"] for e in errors]


def test_observables_add_list_change_remove(client: TestClient, db: Database, folks: Folks) -> None:
    incident = new_incident(db, folks.ic)
    url = f"{API}/incidents/{incident}/observables"
    r = client.post(url, json={"kind": "domain", "value": "Evil.Example.COM", "ioc": True,
                               "tags": ["phish"]}, headers=folks.ic.auth)  # fmt: skip
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["value"], created["tlp"], created["ioc"], created["source"]) == (
        "evil.example.com", "AMBER", True, "manual",
    )  # fmt: skip
    bad = client.post(url, json={"kind": "ip", "value": "10.0.0.300"}, headers=folks.ic.auth)
    assert bad.status_code == 422
    assert fields_of(bad.json()) == ["value"]
    dup = client.post(url, json={"kind": "domain", "value": "evil.example.com."},
                      headers=folks.ic.auth)  # fmt: skip
    assert dup.status_code == 409
    assert client.post(url, json={"kind": "ip", "value": "1.2.3.4"},
                       headers=folks.viewer.auth).status_code == 403  # fmt: skip
    one = f"{url}/{created['id']}"
    r = client.patch(one, json={"tlp": "AMBER+STRICT", "sighted": True}, headers=folks.ic.auth)
    assert r.status_code == 200
    assert (r.json()["tlp"], r.json()["sighted"]) == ("AMBER+STRICT", True)
    assert client.patch(one, json={"tlp": "PURPLE"}, headers=folks.ic.auth).status_code == 422
    listed = client.get(url, headers=folks.viewer.auth).json()["items"]
    assert [o["value"] for o in listed] == ["evil.example.com"]
    assert client.delete(one, headers=folks.viewer.auth).status_code == 403
    assert client.delete(one, headers=folks.ic.auth).status_code == 204
    assert client.get(url, headers=folks.ic.auth).json()["items"] == []


def test_restricted_incidents_are_hidden_everywhere(
    client: TestClient, db: Database, folks: Folks
) -> None:
    public = new_incident(db, folks.ic, title="Public")
    secret = new_incident(db, folks.ic, title="Secret", restricted=True)
    for incident in (public, secret):
        r = client.post(f"{API}/incidents/{incident}/observables",
                        json={"kind": "hash-md5", "value": "D41D8CD98F00B204E9800998ECF8427E"},
                        headers=folks.ic.auth)  # fmt: skip
        assert r.status_code == 201
    for path in ("observables", "assets", "techniques"):
        r = client.get(f"{API}/incidents/{secret}/{path}", headers=folks.outsider.auth)
        assert r.status_code == 404
    r = client.post(f"{API}/incidents/{secret}/observables", json={"kind": "ip", "value": "1.1.1.1"},
                    headers=folks.outsider.auth)  # fmt: skip
    assert r.status_code == 404
    query = {"value": "d41d8cd98f00b204e9800998ecf8427e"}
    mine = client.get(f"{API}/observables", params=query, headers=folks.ic.auth).json()["items"]
    assert [s["incident_title"] for s in mine] == ["Secret", "Public"]
    assert mine[1]["observable"]["seen_elsewhere"] == 1
    theirs = client.get(f"{API}/observables", params={**query, "kind": "hash-md5"},
                        headers=folks.outsider.auth).json()["items"]  # fmt: skip
    assert [s["incident_title"] for s in theirs] == ["Public"]
    assert theirs[0]["observable"]["seen_elsewhere"] == 0
    r = client.get(f"{API}/observables", params={"value": "x", "kind": "ip"}, headers=folks.ic.auth)
    assert r.status_code == 422
    assert fields_of(r.json()) == ["value"]


def test_assets_and_their_status(client: TestClient, db: Database, folks: Folks) -> None:
    incident = new_incident(db, folks.ic)
    url = f"{API}/incidents/{incident}/assets"
    r = client.post(url, json={"kind": "door", "name": "Lab door 3"}, headers=folks.ic.auth)
    assert r.status_code == 201
    assert r.json()["status"] == "tbd"
    bad = client.post(url, json={"kind": "toaster", "name": "x"}, headers=folks.ic.auth)
    assert bad.status_code == 422
    assert fields_of(bad.json()) == ["kind"]
    r = client.patch(f"{url}/{r.json()['id']}", json={"status": "restored"}, headers=folks.ic.auth)
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["status_changed_by"]) == ("restored", "ic@example.com")


def test_techniques_and_the_picker(client: TestClient, db: Database, folks: Folks) -> None:
    incident = new_incident(db, folks.ic)
    url = f"{API}/incidents/{incident}/techniques"
    r = client.post(url, json={"technique_id": "T1059.001"}, headers=folks.ic.auth)
    assert r.status_code == 201
    assert (r.json()["name"], r.json()["tactic"]) == ("PowerShell", "execution")
    bad = client.post(url, json={"technique_id": "T1078"}, headers=folks.ic.auth)
    assert bad.status_code == 422
    assert fields_of(bad.json()) == ["tactic"]
    assert client.delete(f"{url}/{r.json()['id']}", headers=folks.ic.auth).status_code == 204
    picker = client.get(f"{API}/attack/techniques", params={"q": "ROAST"},
                        headers=folks.viewer.auth)  # fmt: skip
    assert [t["label"] for t in picker.json()["items"]] == ["T1558.003 Kerberoasting"]
    ids = client.get(f"{API}/attack/techniques", params={"q": "t1110"}, headers=folks.viewer.auth)
    assert [t["id"] for t in ids.json()["items"]][:2] == ["T1110", "T1110.001"]


def test_search_pages_newest_first(
    client: TestClient, db: Database, folks: Folks, clock: ManualClock
) -> None:
    titles = [f"Case {n}" for n in range(5)]
    for title in titles:
        incident = new_incident(db, folks.ic, title=title)
        clock.advance(timedelta(minutes=1))
        r = client.post(f"{API}/incidents/{incident}/observables",
                        json={"kind": "ip", "value": "192.0.2.1"}, headers=folks.ic.auth)  # fmt: skip
        assert r.status_code == 201
    seen: list[str] = []
    params: dict[str, str | int] = {"value": "192.0.2.1", "limit": 2}
    for _ in range(5):
        body = client.get(f"{API}/observables", params=params, headers=folks.ic.auth).json()
        seen += [s["incident_title"] for s in body["items"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == titles[::-1]
    bad = client.get(f"{API}/observables", params={"value": "192.0.2.1", "cursor": "zz"},
                     headers=folks.ic.auth)  # fmt: skip
    assert bad.status_code == 422
    assert fields_of(bad.json()) == ["cursor"]
