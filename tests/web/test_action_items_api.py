"""/api/v1/action-items and /api/v1/incidents/{id}/action-items: viewers read,
responders create and change, bad values refused naming the field, filters and cursor
paging, and restricted incidents' items hidden."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person, make_person
from incident_ui_support import new_incident
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.reviews.action_models import ActionItem
from ui_support import count

API = "/api/v1"


def fields_of(body: dict[str, object]) -> list[object]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e["field"] for e in errors]


def test_create_read_update_and_bad_input(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    viewer = people["viewer"]
    incident = new_incident(db, ic)
    url = f"{API}/incidents/{incident}/action-items"
    r = client.post(url, json={"title": "Page on disk", "kind": "detect", "priority": "P2",
                               "owner_id": ic.id, "due_on": "2026-01-10",
                               "tracker_url": "https://jira.example.com/browse/OPS-1",
                               "tracker_key": "OPS-1"}, headers=ic.auth)  # fmt: skip
    assert r.status_code == 201, r.text
    item = r.json()
    assert (item["key"], item["priority"], item["owner_name"], item["overdue"]) == (
        "AI-1", "P2", "Ic", False,
    )  # fmt: skip
    for body, field in (
        ({"title": "x", "kind": "blame"}, "kind"),
        ({"title": "", "kind": "detect"}, "title"),
        ({"title": "x", "kind": "detect", "due_on": "soon"}, "due_on"),
        ({"title": "x", "kind": "detect", "owner_id": viewer.id}, "owner_id"),
        ({"title": "x", "kind": "detect", "tracker_url": "ftp://x"}, "tracker_url"),
    ):
        bad = client.post(url, json=body, headers=ic.auth)
        assert bad.status_code == 422, body
        assert fields_of(bad.json()) == [field]
    assert count(db, ActionItem) == 1
    assert client.post(url, json={"title": "x", "kind": "detect"}, headers=viewer.auth).status_code == 403  # fmt: skip
    one = f"{API}/action-items/{item['id']}"
    assert client.get(one, headers=viewer.auth).json()["title"] == "Page on disk"
    r = client.patch(one, json={"status": "wont_do"}, headers=ic.auth)
    assert r.status_code == 422
    assert fields_of(r.json()) == ["wont_do_reason"]
    assert client.patch(one, json={"status": "done"}, headers=viewer.auth).status_code == 403
    r = client.patch(one, json={"status": "done"}, headers=ic.auth)
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["done_by"]) == ("done", "ic@example.com")
    listed = client.get(url, headers=viewer.auth).json()["items"]
    assert [i["key"] for i in listed] == ["AI-1"]
    assert client.get(f"{API}/action-items/AI-1", headers=viewer.auth).json()["id"] == item["id"]


def test_filters_paging_and_restricted_hiding(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    outsider = make_person(db, "responder", "out@example.com")
    public = new_incident(db, ic)
    secret = new_incident(db, ic, restricted=True)
    for incident in (public, public, secret):
        r = client.post(f"{API}/incidents/{incident}/action-items",
                        json={"title": "Fix", "kind": "prevent", "due_on": "2026-01-06"},
                        headers=ic.auth)  # fmt: skip
        assert r.status_code == 201
    clock.advance(days=10)
    mine = client.get(f"{API}/action-items?overdue=true", headers=ic.auth).json()
    assert len(mine["items"]) == 3
    assert all(i["overdue"] for i in mine["items"])
    theirs = client.get(f"{API}/action-items", headers=outsider.auth).json()["items"]
    assert [i["incident_id"] for i in theirs] == [public, public]
    hidden_id = mine["items"][2]["id"]
    assert client.get(f"{API}/action-items/{hidden_id}", headers=outsider.auth).status_code == 404
    assert client.patch(f"{API}/action-items/{hidden_id}", json={"priority": "P1"},
                        headers=outsider.auth).status_code == 404  # fmt: skip
    assert client.get(f"{API}/incidents/{secret}/action-items", headers=outsider.auth).status_code == 404  # fmt: skip
    page = client.get(f"{API}/action-items?limit=2", headers=ic.auth).json()
    assert len(page["items"]) == 2
    rest = client.get(f"{API}/action-items?limit=2&cursor={page['next_cursor']}", headers=ic.auth).json()  # fmt: skip
    assert [i["key"] for i in rest["items"]] == ["AI-3"]
    assert rest["next_cursor"] is None
    assert client.get(f"{API}/action-items?age=8-30", headers=ic.auth).json()["items"]
    assert client.get(f"{API}/action-items?age=0-7", headers=ic.auth).json()["items"] == []
    bad = client.get(f"{API}/action-items?age=ancient", headers=ic.auth)
    assert bad.status_code == 422
    assert fields_of(bad.json()) == ["age"]
    assert client.get(f"{API}/action-items?cursor=zzz", headers=ic.auth).status_code == 422
