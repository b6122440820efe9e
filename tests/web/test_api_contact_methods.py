"""Contact methods, verification, rules, channels and the outbox history over the API,
and the profile's Notifications page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from helpers import Person, csrf_from, sign_in
from muster.channels.fake import FakeChannel
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.notify.service import late_steps
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from notify_support import build_paging, fakes, notify_settings, outbox, request, trigger

BASE = "/api/v1/users/{}/contact-methods"


def _deliver(db: Database, settings: Settings) -> dict[str, FakeChannel]:
    channels = fakes()
    Runner(db, default_modules(notify_settings(settings), channels=channels)).run_until_idle()
    return channels


def _code(channel: FakeChannel) -> str:
    match = re.search(r"\b(\d{6})\b", channel.sent[-1].short)
    assert match
    return match.group(1)


def test_a_person_adds_and_verifies_a_method_with_a_code(
    client: TestClient, db: Database, settings: Settings, clock: ManualClock,
    people: dict[str, Person],
) -> None:  # fmt: skip
    me = people["responder"]
    url = BASE.format(me.id)
    r = client.post(url, json={"type": "sms", "label": "Phone", "address": "+1 (415) 555-0100"},
                    headers=me.auth)  # fmt: skip
    assert r.status_code == 201, r.text
    method = r.json()
    assert method["address"] == "+14155550100"
    assert method["verified"] is False
    assert client.post(f"{url}/{method['id']}/test", headers=me.auth).status_code == 409
    assert client.post(f"{url}/{method['id']}/send-code", headers=me.auth).status_code == 200
    assert client.post(f"{url}/{method['id']}/send-code", headers=me.auth).status_code == 429
    code = _code(_deliver(db, settings)["sms"])
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        r = client.post(f"{url}/{method['id']}/verify", json={"code": wrong}, headers=me.auth)
        assert r.status_code == 422
        assert r.json()["errors"][0] == {
            "field": "code",
            "reason": f"wrong code; {left} tries left",
        }
    client.post(f"{url}/{method['id']}/verify", json={"code": wrong}, headers=me.auth)
    r = client.post(f"{url}/{method['id']}/verify", json={"code": code}, headers=me.auth)
    assert r.json()["detail"] == "too many wrong codes; send a new one"  # even the right one
    clock.advance(minutes=1)
    client.post(f"{url}/{method['id']}/send-code", headers=me.auth)
    code = _code(_deliver(db, settings)["sms"])
    r = client.post(f"{url}/{method['id']}/verify", json={"code": code}, headers=me.auth)
    assert r.status_code == 200
    assert r.json()["verified"] is True
    assert client.post(f"{url}/{method['id']}/test", headers=me.auth).status_code == 202
    assert "test from Muster" in _deliver(db, settings)["sms"].sent[0].short


def test_a_code_expires_after_ten_minutes(
    client: TestClient, db: Database, settings: Settings, clock: ManualClock,
    people: dict[str, Person],
) -> None:  # fmt: skip
    me = people["responder"]
    url = BASE.format(me.id)
    method = client.post(url, json={"type": "voice", "label": "Desk", "address": "+14155550199"},
                         headers=me.auth).json()  # fmt: skip
    client.post(f"{url}/{method['id']}/send-code", headers=me.auth)
    code = re.search(r"code is (\d{6})", _deliver(db, settings)["voice"].sent[0].voice)
    assert code
    clock.advance(minutes=10, seconds=1)
    r = client.post(f"{url}/{method['id']}/verify", json={"code": code.group(1)}, headers=me.auth)
    assert r.json()["detail"] == "the code expired; send a new one"


def test_only_oneself_or_an_admin_manages_methods(
    client: TestClient, people: dict[str, Person]
) -> None:
    me, other, admin = people["responder"], people["viewer"], people["admin"]
    body = {"type": "email", "label": "Work", "address": "Me@Example.com"}
    assert client.post(BASE.format(me.id), json=body, headers=other.auth).status_code == 403
    assert client.get(BASE.format(me.id), headers=other.auth).status_code == 403
    assert client.post(BASE.format(me.id), json={**body, "verified": True},
                       headers=me.auth).status_code == 403  # fmt: skip
    r = client.post(BASE.format(me.id), json={**body, "verified": True}, headers=admin.auth)
    assert r.status_code == 201
    assert r.json()["verified"]
    assert r.json()["address"] == "me@example.com"
    assert client.post(BASE.format(me.id), json=body, headers=me.auth).status_code == 409
    bad = client.post(BASE.format(me.id), json={**body, "address": "not-an-email"}, headers=me.auth)
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "address", "reason": "not an email address"}]
    hook = client.post(BASE.format(me.id), headers=me.auth,
                       json={"type": "webhook", "label": "Bot", "address": "https://example.com/h"})  # fmt: skip
    assert hook.json()["secret"].startswith("whsec_")
    chat = client.post(BASE.format(me.id), headers=me.auth,
                       json={"type": "chat", "label": "Room", "address": "nonsense://x"})  # fmt: skip
    assert chat.status_code == 422
    method_id = r.json()["id"]
    assert client.delete(f"{BASE.format(me.id)}/{method_id}", headers=me.auth).status_code == 204
    assert client.get(f"{BASE.format(me.id)}/{method_id}", headers=me.auth).status_code == 404


def test_rules_defaults_and_warnings(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me, admin = people["responder"], people["admin"]
    rules_url = f"/api/v1/users/{me.id}/notification-rules"
    r = client.get(rules_url, headers=me.auth).json()
    assert r["items"] == []
    assert r["effective"] == {"high": [], "low": []}
    assert any("no verified contact method" in w for w in r["warnings"])
    ids = {}
    for kind, address in (("email", "me@example.com"), ("sms", "+14155550100"),
                          ("voice", "+14155550100")):  # fmt: skip
        ids[kind] = client.post(BASE.format(me.id), headers=admin.auth, json={
            "type": kind, "label": kind, "address": address, "verified": True}).json()["id"]  # fmt: skip
    r = client.get(rules_url, headers=me.auth).json()
    assert [(s["type"], s["delay_minutes"]) for s in r["effective"]["high"]] == [
        ("email", 0), ("sms", 2), ("voice", 5)]  # fmt: skip
    assert [(s["type"], s["delay_minutes"]) for s in r["effective"]["low"]] == [("email", 0)]
    assert r["warnings"] == []
    rule = client.post(rules_url, headers=me.auth,
                       json={"urgency": "high", "contact_method_id": ids["sms"], "delay_minutes": 10})  # fmt: skip
    assert rule.status_code == 201
    r = client.get(rules_url, headers=me.auth).json()
    assert [(s["type"], s["delay_minutes"]) for s in r["effective"]["high"]] == [("sms", 10)]
    assert "Your first high-urgency rule waits; nothing is sent at once." in r["warnings"]
    with db.unit_of_work(readonly=True) as uow:  # what escalation asks: later than the level?
        assert [s.delay_minutes for s in late_steps(uow, me.id, 5)] == [10]
        assert late_steps(uow, me.id, 10) == []
    assert client.delete(f"{rules_url}/{rule.json()['id']}", headers=me.auth).status_code == 204


def test_the_outbox_history_of_a_group(
    client: TestClient, db: Database, settings: Settings, people: dict[str, Person]
) -> None:
    paging = build_paging(db, {"sms": "+14155550100"})
    group = trigger(db, paging, "Disk full")
    request(db, group, paging.alice.id)
    _deliver(db, settings)
    r = client.get(
        "/api/v1/notifications", params={"group_id": group}, headers=people["viewer"].auth
    )
    assert r.status_code == 200
    (row,) = r.json()["items"]
    assert row["status"] == "sent"
    assert row["method_type"] == "sms"
    assert row["attempts"] == 1
    assert row["escalation_id"] == "esc-1"
    assert row["level"] == 1
    assert client.get("/api/v1/notifications", headers=people["viewer"].auth).status_code == 403
    assert len(outbox(db)) == 1


def test_managers_set_team_channels(client: TestClient, people: dict[str, Person]) -> None:
    team = client.post("/api/v1/teams", json={"name": "Ops"}, headers=people["manager"].auth).json()
    url = f"/api/v1/teams/{team['id']}/channels"
    body = {"type": "webhook", "label": "#ops", "address": "https://chat.example.com/hook"}
    assert client.post(url, json=body, headers=people["responder"].auth).status_code == 403
    made = client.post(url, json=body, headers=people["manager"].auth)
    assert made.status_code == 201
    listed = client.get(url, headers=people["viewer"].auth).json()["items"]
    assert listed[0]["label"] == "#ops"
    assert listed[0]["secret"] is None
    assert (
        client.get("/api/v1/teams/nope/channels", headers=people["viewer"].auth).status_code == 404
    )


def test_the_profile_notifications_page(
    client: TestClient, db: Database, settings: Settings, people: dict[str, Person]
) -> None:
    me = people["responder"]
    sign_in(client, me.email, me.password)
    page = client.get("/profile")
    assert 'href="/profile/notifications"' in page.text
    page = client.get("/profile/notifications")
    assert page.status_code == 200
    assert "No contact methods yet" in page.text
    assert "no verified contact method" in page.text
    csrf = csrf_from(page.text)
    r = client.post("/profile/notifications/methods", follow_redirects=False,
                    data={"csrf_token": csrf, "type": "sms", "label": "Phone", "address": "12"})  # fmt: skip
    assert r.status_code == 422
    assert "not a phone number" in r.text
    r = client.post("/profile/notifications/methods", follow_redirects=False,
                    data={"csrf_token": csrf, "type": "sms", "label": "Phone", "address": "+14155550100"})  # fmt: skip
    assert r.status_code == 303
    method_id = outbox_free_method(client, me)
    client.post(f"/profile/notifications/methods/{method_id}/send-code", data={"csrf_token": csrf})
    code = _code(_deliver(db, settings)["sms"])
    r = client.post(f"/profile/notifications/methods/{method_id}/verify",
                    data={"csrf_token": csrf, "code": "123"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 422
    r = client.post(f"/profile/notifications/methods/{method_id}/verify",
                    data={"csrf_token": csrf, "code": code}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"].endswith("saved=verified")
    r = client.post("/profile/notifications/rules", follow_redirects=False, data={
        "csrf_token": csrf, "urgency": "low", "contact_method_id": method_id, "delay_minutes": "3"})  # fmt: skip
    assert r.status_code == 303
    html = client.get("/profile/notifications").text
    assert "verified" in html
    assert "after 3 min: Phone (sms:" in html


def outbox_free_method(client: TestClient, me: Person) -> str:
    methods = client.get(BASE.format(me.id), headers=me.auth).json()["items"]
    method_id: str = methods[0]["id"]
    return method_id
