"""/api/v1/incidents/{id}: timeline, notes and corrections, key events, links and files
(SHA-256, size limit), merge and split."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient

from alert_support import make_integration, make_service, send
from helpers import Person
from muster.clock import ManualClock

API = "/api/v1/incidents"


def _declare(client: TestClient, person: Person, **fields: object) -> str:
    r = client.post(API, json={"title": "Checkout is down", **fields}, headers=person.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_notes_corrections_and_key_events(client: TestClient, people: dict[str, Person]) -> None:
    author, other = people["responder"], people["manager"]
    incident = _declare(client, author)
    r = client.post(
        f"{API}/{incident}/notes", json={"body": "Rolled back **v42**"}, headers=author.auth
    )
    assert r.status_code == 201, r.text
    note = r.json()["id"]
    assert (
        client.post(f"{API}/{incident}/notes", json={"body": ""}, headers=author.auth).status_code
        == 422
    )
    fix = {"body": "Rolled back **v41**"}
    assert (
        client.put(f"/api/v1/incident-notes/{note}", json=fix, headers=other.auth).status_code
        == 403
    )
    assert (
        client.put(f"/api/v1/incident-notes/{note}", json=fix, headers=author.auth).status_code
        == 200
    )
    versions = client.get(f"/api/v1/incident-notes/{note}/history", headers=people["viewer"].auth)
    assert [v["body"] for v in versions.json()] == ["Rolled back **v42**", "Rolled back **v41**"]
    timeline = client.get(f"{API}/{incident}/timeline", headers=people["viewer"].auth).json()
    added = next(e for e in timeline["items"] if e["type"] == "incident.note_added")
    assert (added["body"], added["corrected"]) == ("Rolled back **v41**", True)
    assert "<strong>v41</strong>" in added["body_html"]
    r = client.put(f"{API}/{incident}/key-events/{added['event_id']}", headers=author.auth)
    assert r.status_code == 204
    timeline = client.get(f"{API}/{incident}/timeline", headers=people["viewer"].auth).json()
    assert [e["key"] for e in timeline["items"] if e["event_id"] == added["event_id"]] == [True]
    r = client.put(f"{API}/{incident}/key-events/not-an-event", headers=author.auth)
    assert r.status_code in (404, 422)
    page = client.get(f"{API}/{incident}/timeline?limit=1", headers=people["viewer"].auth).json()
    assert len(page["items"]) == 1
    assert page["older"] is not None
    assert (
        client.get(f"{API}/{incident}/timeline?limit=0", headers=people["viewer"].auth).status_code
        == 422
    )


def test_links_and_files(client: TestClient, people: dict[str, Person]) -> None:
    who = people["responder"]
    incident = _declare(client, who)
    r = client.post(
        f"{API}/{incident}/links",
        json={"url": "https://grafana.example/d/1", "name": "Dashboard"},
        headers=who.auth,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"{API}/{incident}/links", json={"url": "javascript:alert(1)"}, headers=who.auth
    )
    assert r.status_code == 422
    content = b"2026-01-05T09:00:00Z ERROR payment declined\n" * 100
    r = client.post(
        f"{API}/{incident}/files",
        files={"file": ("app.log", content, "text/plain")},
        headers=who.auth,
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["sha256"], made["size"]) == (hashlib.sha256(content).hexdigest(), len(content))
    got = client.get(
        f"/api/v1/incident-attachments/{made['id']}/content", headers=people["viewer"].auth
    )
    assert got.content == content
    assert got.headers["x-content-sha256"] == made["sha256"]
    # Bigger than the general 1 MB request limit is fine for a file; over 25 MB is not.
    big = b"x" * (2 * 1024 * 1024)
    r = client.post(f"{API}/{incident}/files", files={"file": ("big.bin", big)}, headers=who.auth)
    assert r.status_code == 201
    huge = b"x" * (25 * 1024 * 1024 + 1)
    r = client.post(f"{API}/{incident}/files", files={"file": ("huge.bin", huge)}, headers=who.auth)
    assert r.status_code == 413
    names = [
        a["name"] for a in client.get(f"{API}/{incident}/attachments", headers=who.auth).json()
    ]
    assert sorted(names) == ["Dashboard", "app.log", "big.bin"]
    assert (
        client.post(
            f"{API}/{incident}/notes", json={"body": "x" * 10}, headers=people["viewer"].auth
        ).status_code
        == 403
    )


def test_merge_and_split(client: TestClient, people: dict[str, Person]) -> None:
    who = people["responder"]
    service = make_service(client, people["manager"], "payments")
    key = make_integration(client, people["manager"], service)["key"]
    send(client, key, "Card payments failing", dedup_key="a")
    send(client, key, "Refunds failing", dedup_key="b")
    groups = [a["group_id"] for a in client.get("/api/v1/alerts", headers=who.auth).json()["items"]]
    survivor = _declare(client, who, group_ids=[groups[0]])
    duplicate = _declare(client, people["manager"], title="Payments broken", group_ids=[groups[1]])
    client.post(
        f"{API}/{duplicate}/notes", json={"body": "seen by the support desk"}, headers=who.auth
    )
    r = client.post(f"{API}/{duplicate}/merge", json={"into_id": survivor}, headers=who.auth)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == survivor
    assert client.get(f"{API}/{duplicate}", headers=who.auth).json()["status"] == "merged"
    timeline = client.get(f"{API}/{survivor}/timeline", headers=who.auth).json()["items"]
    assert any(e.get("body") == "seen by the support desk" for e in timeline)
    participants = client.get(f"{API}/{survivor}/participants", headers=who.auth).json()
    assert people["manager"].id in {p["user_id"] for p in participants}
    r = client.post(f"{API}/{survivor}/merge", json={"into_id": survivor}, headers=who.auth)
    assert r.status_code == 422
    r = client.post(
        f"{API}/{survivor}/split",
        json={"group_id": groups[1], "title": "Refunds"},
        headers=who.auth,
    )
    assert r.status_code == 201, r.text
    split_off = r.json()
    assert split_off["title"] == "Refunds"
    r = client.post(
        f"{API}/{survivor}/split", json={"group_id": groups[1], "title": "Again"}, headers=who.auth
    )
    assert r.status_code in (409, 422)


def test_tasks(client: TestClient, people: dict[str, Person], clock: ManualClock) -> None:
    who = people["responder"]
    incident = _declare(client, who)
    due = (clock.now() + timedelta(minutes=30)).isoformat()
    task = {"title": "Page the DBA", "owner_id": people["manager"].id, "due_at": due}
    r = client.post(f"{API}/{incident}/tasks", json=task, headers=who.auth)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["status"], made["phase"], made["overdue"]) == ("open", "triage", False)
    clock.advance(timedelta(hours=1))
    listed = client.get(f"{API}/{incident}/tasks", headers=people["viewer"].auth).json()["items"]
    assert [t["overdue"] for t in listed] == [True]
    r = client.patch(
        f"/api/v1/incident-tasks/{made['id']}", json={"status": "done"}, headers=who.auth
    )
    assert (r.json()["status"], r.json()["overdue"]) == ("done", False)
    for bad, field in (
        ({"title": ""}, "title"),
        ({"title": "x", "due_at": "2026-01-05T10:00:00"}, "due_at"),
        ({"title": "x", "owner_id": "nobody"}, "owner_id"),
    ):
        r = client.post(f"{API}/{incident}/tasks", json=bad, headers=who.auth)
        assert r.status_code == 422, (bad, r.text)
        assert field in [e["field"] for e in r.json()["errors"]]
    r = client.patch(
        f"/api/v1/incident-tasks/{made['id']}", json={"status": "doing"}, headers=who.auth
    )
    assert r.status_code == 422
    r = client.post(f"{API}/{incident}/tasks", json={"title": "x"}, headers=people["viewer"].auth)
    assert r.status_code == 403
