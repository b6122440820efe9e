"""/api/v1/incident-webhooks and /settings/incident-webhooks: admins only, the URL
checked by the outbound policy, the secret shown once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from helpers import Person
from muster.db.uow import Database
from muster.domain.incidents.models import IncidentWebhook
from ui_support import as_person, count, last_event

API = "/api/v1/incident-webhooks"
PUBLIC_URL = "https://hooks.example.org/muster"  # resolves nowhere here: allowed, checked per send


def auth(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


def test_admin_crud_with_the_secret_only_in_create_and_rotate(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = auth(people["admin"])
    created = client.post(API, json={"name": "Bridge", "url": PUBLIC_URL}, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert (body["event_types"], body["include_restricted"], body["enabled"]) == ([], False, True)
    hook_id = body["id"]
    listed = client.get(API, headers=admin).json()["items"]
    assert [h["id"] for h in listed] == [hook_id]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{API}/{hook_id}", headers=admin).json()
    assert body["secret"] not in str(last_event(db, "incident_webhook.created").data)

    patched = client.patch(
        f"{API}/{hook_id}",
        json={"event_types": ["incident.declared"], "enabled": False},
        headers=admin,
    )
    assert patched.status_code == 200
    assert patched.json()["event_types"] == ["incident.declared"]
    assert patched.json()["enabled"] is False
    rotated = client.post(f"{API}/{hook_id}/rotate-secret", headers=admin).json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != body["secret"]
    assert client.delete(f"{API}/{hook_id}", headers=admin).status_code == 204
    assert count(db, IncidentWebhook) == 0
    assert client.get(f"{API}/{hook_id}", headers=admin).status_code == 404


def test_only_admins_and_bad_input_is_named(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    for role in ("manager", "responder", "viewer"):
        assert client.get(API, headers=auth(people[role])).status_code == 403
        answer = client.post(API, json={"name": "x", "url": PUBLIC_URL}, headers=auth(people[role]))
        assert answer.status_code == 403
    assert client.get(API).status_code == 401
    admin = auth(people["admin"])
    for url, reason in (
        ("http://127.0.0.1:8000/hook", "non-public address"),
        ("http://[::1]/hook", "non-public address"),
        ("gopher://example.org/", "not an http(s) URL"),
    ):
        answer = client.post(API, json={"name": "x", "url": url}, headers=admin)
        assert answer.status_code == 422, url
        (error,) = answer.json()["errors"]
        assert error["field"] == "url"
        assert reason in error["reason"], error
    answer = client.post(
        API, json={"name": "x", "url": PUBLIC_URL, "event_types": ["nope"]}, headers=admin
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "event_types.0"
    assert count(db, IncidentWebhook) == 0


def test_ui_shows_the_secret_once(client: TestClient, people: dict[str, Person]) -> None:
    assert client.get("/settings/incident-webhooks", follow_redirects=False).status_code == 303
    csrf = as_person(client, people["admin"])
    answer = client.post(
        "/settings/incident-webhooks",
        data={"csrf_token": csrf, "name": "Chat bridge", "url": PUBLIC_URL,
              "event_types": ["incident.declared", "incident.status_changed"]},
    )  # fmt: skip
    assert answer.status_code == 200  # followed to the list
    secret = re.search(r'id="new-secret-value">(whsec_[^<]+)<', answer.text)
    assert secret, "the new secret is shown"
    assert "Chat bridge" in answer.text
    assert "2 types" in answer.text
    again = client.get("/settings/incident-webhooks")
    assert secret.group(1) not in again.text
    bad = client.post(
        "/settings/incident-webhooks",
        data={"csrf_token": csrf, "name": "Local", "url": "http://10.0.0.8/hook"},
    )
    assert bad.status_code == 422
    assert "non-public address" in bad.text
    assert 'value="http://10.0.0.8/hook"' in bad.text  # kept for correcting


def test_ui_is_for_admins_only(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["manager"])
    assert client.get("/settings/incident-webhooks").status_code == 403


def test_ui_edit_pause_rotate_and_remove(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    created = client.post(
        API, json={"name": "Bridge", "url": PUBLIC_URL}, headers=auth(people["admin"])
    ).json()
    page = f"/settings/incident-webhooks/{created['id']}"
    csrf = as_person(client, people["admin"])
    assert 'value="Bridge"' in client.get(page).text
    saved = client.post(
        page,
        data={"csrf_token": csrf, "name": "Renamed", "url": PUBLIC_URL,
              "event_types": ["incident.declared"], "include_restricted": "1"},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.headers["location"] == "/settings/incident-webhooks?saved=saved"
    with db.unit_of_work(readonly=True) as uow:
        hook = uow.session.get_one(IncidentWebhook, created["id"])
        assert (hook.name, hook.event_types, hook.include_restricted) == (
            "Renamed", ["incident.declared"], True,
        )  # fmt: skip
    paused = client.post(f"{page}/pause", data={"csrf_token": csrf})
    assert "Webhook paused." in paused.text
    assert "Resume" in paused.text
    rotated = client.post(f"{page}/rotate-secret", data={"csrf_token": csrf})
    shown = re.search(r'id="new-secret-value">(whsec_[^<]+)<', rotated.text)
    assert shown
    assert shown.group(1) != created["secret"]
    assert client.post(f"{page}/rotate-secret").status_code == 403  # no CSRF token
    removed = client.post(f"{page}/delete", data={"csrf_token": csrf})
    assert "Webhook removed." in removed.text
    assert count(db, IncidentWebhook) == 0
