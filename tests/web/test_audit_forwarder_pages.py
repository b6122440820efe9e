"""/audit/forwarders/{id}: an admin edits a forwarder (name, destination, filter,
paused), sees how far it got and since when it fails, rotates a webhook's secret (shown
once, after a redirect, never in a URL or a log) and removes it only when confirming.
Bad input is named and changes nothing; other roles and forms without CSRF are refused."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers import Person
from muster.clock import ManualClock, isoformat
from muster.db.uow import Database
from muster.domain.audit.forwarding import Outcome, claim_batches, record_outcome
from muster.domain.audit.models import AuditForwarder
from muster.web.ui.audit_forwarders import SECRET_COOKIE
from ui_support import as_person, count, events_of_type, field_has_error, last_event

API = "/api/v1/audit/forwarders"
PAGE = "/audit/forwarders"
PUBLIC_URL = "https://siem.example.org/muster"


def forwarder(db: Database, forwarder_id: str) -> AuditForwarder:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get(AuditForwarder, forwarder_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def make(client: TestClient, admin: Person, **fields: Any) -> dict[str, Any]:
    made = client.post(API, json=fields, headers=admin.auth)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def syslog(client: TestClient, admin: Person) -> dict[str, Any]:
    return make(client, admin, name="Collector", kind="syslog", host="siem.example.org",
                port=6514, transport="tcp", from_start=True)  # fmt: skip


def state(html: str, name: str) -> str:
    """The content of the forwarder page's ``state-<name>`` entry."""
    match = re.search(rf'id="state-{name}"[^>]*>(.*?)</(?:dd|span)>', html, re.DOTALL)
    assert match, f"no state-{name} on the page"
    return match.group(1)


def fail_once(db: Database) -> None:
    """The engine's way: claim the due batch, then record that the send failed."""
    with db.unit_of_work() as uow:
        batches = claim_batches(uow, uow.now)
        assert len(batches) == 1
        record_outcome(uow, batches[0], Outcome(None, 0, "connection refused"), uow.now)
        uow.commit()


def test_create_shows_the_secret_once_after_a_redirect_never_in_the_url_or_a_log(
    client: TestClient, db: Database, people: dict[str, Person], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    csrf = as_person(client, people["admin"])
    form = {"csrf_token": csrf, "name": "SIEM", "kind": "webhook", "url": PUBLIC_URL,
            "host": "", "port": "", "transport": "tcp", "tls_ca_pem": "", "type_prefixes": ""}  # fmt: skip
    made = client.post(PAGE, data=form, follow_redirects=False)
    assert made.status_code == 303
    assert made.headers["location"] == f"{PAGE}?saved=saved#new-secret"
    cookie = made.headers["set-cookie"]
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", f"path={PAGE}"} <= attributes
    hook_id = events_of_type(db, "audit_forwarder.created")[-1].subject_id
    secret = forwarder(db, hook_id).secret
    assert secret is not None
    assert secret.startswith("whsec_")
    assert secret not in made.headers["location"]

    shown = client.get(made.headers["location"])
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert secret in shown.text
    assert "Forwarder added." in shown.text
    assert SECRET_COOKIE not in client.cookies  # taken: shown once
    assert secret not in client.get(PAGE).text
    assert secret not in caplog.text
    assert secret not in str(last_event(db, "audit_forwarder.created").data)


def test_forwarder_page_shows_position_last_success_and_failing_since(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    hook = syslog(client, people["admin"])
    as_person(client, people["admin"])
    page = client.get(f"{PAGE}/{hook['id']}").text
    assert "—" in state(page, "failing-since")
    assert "—" in state(page, "last-success")
    clock.advance(minutes=1)
    first_failure = clock.now()
    fail_once(db)
    clock.advance(minutes=10)
    fail_once(db)
    page = client.get(f"{PAGE}/{hook['id']}").text
    assert "Collector" in page
    assert isoformat(first_failure) in state(page, "failing-since")
    assert "2 failed attempts" in state(page, "failing-since")
    assert "connection refused" in state(page, "last-error")
    assert state(page, "position") == "0"
    assert f'href="{PAGE}/{hook["id"]}"' in client.get(PAGE).text  # linked from the list

    with db.unit_of_work() as uow:  # the destination answers again
        row = uow.session.get(AuditForwarder, hook["id"])
        assert row is not None
        row.retry_at = None
        uow.commit()
    clock.advance(minutes=1)
    with db.unit_of_work() as uow:
        batch = claim_batches(uow, uow.now)[0]
        record_outcome(uow, batch, Outcome(batch.through, len(batch.records)), uow.now)
        uow.commit()
    page = client.get(f"{PAGE}/{hook['id']}").text
    assert isoformat(clock.now()) in state(page, "last-success")
    assert "—" in state(page, "failing-since")
    assert "—" in state(page, "last-error")
    position = forwarder(db, hook["id"]).position
    assert position > 0
    assert state(page, "position") == str(position)


def test_edit_saves_destination_filter_and_pause_and_names_bad_input(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    hook = syslog(client, people["admin"])
    other = make(client, people["admin"], name="Other", kind="webhook", url=PUBLIC_URL)
    csrf = as_person(client, people["admin"])
    webhook = {
        "csrf_token": csrf,
        "name": "Other",
        "url": "ftp://siem.example.org/",
        "enabled": "1",
    }
    refused = client.post(f"{PAGE}/{other['id']}", data=webhook)
    assert refused.status_code == 422
    assert field_has_error(refused.text, "f-url")
    assert forwarder(db, other["id"]).url == PUBLIC_URL
    url = f"{PAGE}/{hook['id']}"
    form = {"csrf_token": csrf, "name": "Collector", "host": "siem.example.org", "port": "6514",
            "transport": "tcp", "tls_ca_pem": "", "type_prefixes": "", "enabled": "1"}  # fmt: skip
    bad = [
        ({"port": "70000"}, "f-port", 422),
        ({"port": "many"}, "f-port", 422),
        ({"host": ""}, "f-host", 422),
        ({"host": "10.0.0.5"}, "f-host", 422),  # private: the outbound policy refuses it
        ({"tls_ca_pem": "-----BEGIN CERTIFICATE-----\r\nnope\r\n"}, "f-tls_ca_pem", 422),
        ({"name": ""}, "f-name", 422),
        ({"name": "Other"}, "f-name", 409),
    ]
    for change, field_id, status in bad:
        answer = client.post(url, data={**form, **change})
        assert answer.status_code == status, (change, answer.text)
        assert field_has_error(answer.text, field_id), change
    same = client.post(url, data={**form, "url": PUBLIC_URL}, follow_redirects=False)
    assert same.status_code == 303  # a field of the other kind is ignored
    assert forwarder(db, hook["id"]).url is None
    assert events_of_type(db, "audit_forwarder.updated") == []  # nothing changed so far

    changed = {**form, "name": "Collector EU", "port": "6515", "type_prefixes": "user., team."}
    del changed["enabled"]  # unticked: paused
    saved = client.post(url, data=changed, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?saved=changed"
    row = forwarder(db, hook["id"])
    assert (row.name, row.port, row.enabled) == ("Collector EU", 6515, False)
    assert row.type_prefixes == ["user.", "team."]
    changes = last_event(db, "audit_forwarder.updated").data["changes"]
    assert changes["port"] == [6514, 6515]
    assert changes["enabled"] == [True, False]
    page = client.get(saved.headers["location"])
    assert "Forwarder saved." in page.text
    assert "paused" in page.text


def test_rotate_shows_the_new_secret_once_on_the_forwarders_page(
    client: TestClient, db: Database, people: dict[str, Person], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = make(client, people["admin"], name="SIEM", kind="webhook", url=PUBLIC_URL)
    csrf = as_person(client, people["admin"])
    url = f"{PAGE}/{hook['id']}"
    assert "Rotate secret" in client.get(url).text
    assert client.post(f"{url}/rotate-secret", data={}).status_code == 403  # no CSRF
    assert forwarder(db, hook["id"]).secret == hook["secret"]

    rotated = client.post(f"{url}/rotate-secret", data={"csrf_token": csrf},
                          follow_redirects=False)  # fmt: skip
    assert rotated.status_code == 303
    assert rotated.headers["location"] == f"{url}?saved=rotated#new-secret"
    secret = forwarder(db, hook["id"]).secret
    assert secret is not None
    assert secret != hook["secret"]
    assert secret not in rotated.headers["location"]
    shown = client.get(rotated.headers["location"])
    assert secret in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert secret not in client.get(url).text
    assert secret not in caplog.text
    assert "secret" not in last_event(db, "audit_forwarder.secret_rotated").data

    other = syslog(client, people["admin"])
    refused = client.post(f"{PAGE}/{other['id']}/rotate-secret", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert "Rotate secret" not in client.get(f"{PAGE}/{other['id']}").text


def test_remove_needs_the_confirmation_box(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    hook = syslog(client, people["admin"])
    csrf = as_person(client, people["admin"])
    url = f"{PAGE}/{hook['id']}/delete"
    unconfirmed = client.post(url, data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422
    assert field_has_error(unconfirmed.text, "rm-confirm")
    assert count(db, AuditForwarder) == 1
    removed = client.post(url, data={"csrf_token": csrf, "confirm": "1"}, follow_redirects=False)
    assert removed.status_code == 303
    assert removed.headers["location"] == f"{PAGE}?saved=deleted"
    assert count(db, AuditForwarder) == 0
    assert last_event(db, "audit_forwarder.deleted").subject_id == hook["id"]
    assert client.post(url, data={"csrf_token": csrf, "confirm": "1"}).status_code == 404


def test_only_admins_with_the_forms_token_reach_the_forwarder_pages(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    hook = syslog(client, people["admin"])
    url = f"{PAGE}/{hook['id']}"
    csrf = as_person(client, people["manager"])
    assert client.get(url).status_code == 403
    edit = {"csrf_token": csrf, "name": "Mine", "host": "siem.example.org", "port": "514",
            "transport": "tcp", "enabled": "1"}  # fmt: skip
    assert client.post(url, data=edit).status_code == 403
    assert (
        client.post(f"{url}/delete", data={"csrf_token": csrf, "confirm": "1"}).status_code == 403
    )
    client.cookies.clear()
    csrf = as_person(client, people["admin"])
    assert client.post(url, data={**edit, "csrf_token": "forged"}).status_code == 403
    assert forwarder(db, hook["id"]).name == "Collector"
    assert client.get(f"{PAGE}/no-such-forwarder").status_code == 404
