"""Restricted incidents never leak: a restricted incident carrying a distinctive marker
(in its title, summary, a note, a task, a link, a status update) is invisible to an
outsider - a responder who takes no part and a viewer - through every GET route the app
has (API and UI: lists, searches, exports, timeline, alerts, audit, status page), while a
public incident with its own marker shows through the same walk (so the walk sees what
it should). The live stream's filter is tests/web/test_live_incidents.py."""

from __future__ import annotations

import os
from urllib.parse import quote

from fastapi.testclient import TestClient
from security_routes import endpoints
from world import World, build_world

from muster.db.uow import Database

# The stream never ends; the schema and metrics hold no incident data.
SKIP = {"GET /live", "GET /api/v1/openapi.json", "GET /metrics"}


def fill(client: TestClient, world: World, marker: str, restricted: bool) -> dict[str, str]:
    """An incident with ``marker`` everywhere text goes; the ids of what it holds."""
    admin = world.people["admin"].auth
    incident = client.post(
        "/api/v1/incidents",
        json={"title": f"{marker} breach", "summary": f"about {marker}", "restricted": restricted},
        headers=admin,
    )
    assert incident.status_code == 201, incident.text
    iid = incident.json()["id"]
    posts = {
        "note_id": ("notes", {"body": f"note {marker}"}),
        "task_id": ("tasks", {"title": f"task {marker}"}),
        "attachment_id": ("links", {"url": f"https://x.example/{marker}", "name": marker}),
        "update_id": (
            "updates",
            {"kind": "public", "body": f"update {marker}", "public_status": "identified"},
        ),
    }
    ids = {"incident_id": iid, "ref": iid}
    for name, (path, body) in posts.items():
        r = client.post(f"/api/v1/incidents/{iid}/{path}", json=body, headers=admin)
        assert r.status_code in (200, 201), (path, r.text)
        ids[name] = r.json().get("id", "")
    group = alert_group(client, world, marker)
    r = client.post(
        f"/api/v1/incidents/{iid}/alert-groups", json={"group_ids": [group]}, headers=admin
    )
    assert r.status_code == 200, r.text
    ids["group_id"] = group
    return ids


def alert_group(client: TestClient, world: World, marker: str) -> str:
    """An alert (its text neutral) whose group is linked to the incident."""
    boss = world.people["manager"].auth
    service = world.ids["service_id"]
    r = client.post(
        f"/api/v1/services/{service}/integrations", json={"type": "alertmanager"}, headers=boss
    )
    assert r.status_code == 201, r.text
    alert = {"status": "firing", "labels": {"alertname": f"disk-{marker[-4:]}"}}
    body = {"version": "4", "status": "firing", "alerts": [alert]}
    assert client.post(f"/ingest/alertmanager/{r.json()['key']}", json=body).status_code == 202
    items = client.get("/api/v1/alerts", headers=boss).json()["items"]
    return next(a["group_id"] for a in items if marker[-4:] in a["summary"])


def walk(
    client: TestClient, headers: dict[str, str], ids: dict[str, str], marker: str
) -> list[str]:
    """Every GET route (and searches for ``marker``) whose answer contains ``marker``.

    Searches send most of the marker, so a page echoing the query back is no false alarm.
    """
    found = []
    query = marker[:-2]
    searches = [
        f"/api/v1/incidents?q={quote(query)}", f"/incidents?q={quote(query)}",
        f"/alerts?q={quote(query)}", f"/api/v1/alerts?q={quote(query)}",
        f"/api/v1/events?subject_type=incident&subject_id={ids['incident_id']}",
        f"/api/v1/events?subject_type=alert_group&subject_id={ids['group_id']}",
        "/api/v1/incidents/export?format=csv", "/api/v1/events", "/status", "/status.json",
        "/status/feed.atom", f"/alerts/{ids['group_id']}",
    ]  # fmt: skip
    urls = [
        e.url(ids)
        for e in endpoints(client.app)  # type: ignore[arg-type]
        if e.method == "GET" and e.kind in ("api", "ui") and e.key not in SKIP
    ]
    for url in [*urls, *searches]:
        response = client.get(url, headers=headers, follow_redirects=False)
        assert response.status_code < 500, (url, response.status_code, response.text[:300])
        if marker in response.text:
            found.append(f"{url} ({response.status_code})")
    return found


def test_restricted_incident_invisible_to_outsiders(client: TestClient, db: Database) -> None:
    world = build_world(client, db)
    secret = f"SECRET{os.urandom(4).hex()}"
    shown = f"PUBLIC{os.urandom(4).hex()}"
    hidden_ids = fill(client, world, secret, restricted=True)
    shown_ids = fill(client, world, shown, restricted=False)
    for outsider in ("responder", "viewer"):
        headers = world.people[outsider].auth
        leaks = walk(client, headers, hidden_ids, secret)
        assert not leaks, f"{outsider} sees the restricted incident through: {leaks}"
    seen = walk(client, world.people["responder"].auth, shown_ids, shown)
    assert len(seen) >= 10, f"the walk saw too little of a public incident: {seen}"
    # Anonymous callers see nothing of it either (the status page above all).
    for url in ["/status", "/status.json", "/status/feed.atom"]:
        assert secret not in client.get(url).text
    # Positive control on the restricted side: the admin does see it.
    admin = world.people["admin"].auth
    page = client.get(f"/incidents/{hidden_ids['incident_id']}", headers=admin)
    assert secret in page.text
