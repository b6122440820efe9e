"""Secrets never leak: API tokens, integration keys, playbook secrets, webhook signing
secrets, user passwords and the SMTP relay password are set, then used in flows that
work and flows that fail; no log record (DEBUG and up), event row, API answer or
exception text carries any of them - except the one answer that hands a new secret to
its owner (a token, webhook secret or integration's key when created or rotated; an
integration's key is also part of its own record, which is how senders are set up)."""

from __future__ import annotations

import json
import logging
import os
import socket

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person, make_person, post_login
from muster.channels.base import Message
from muster.channels.email import SmtpChannel
from muster.config import NotifySettings, Settings
from muster.db.uow import Database
from muster.domain.accounts.credentials import authenticate_token
from muster.domain.events.models import Event
from muster.errors import MusterError


class Seen:
    """Every answer the test's client received, but the ones allowed to hand out secrets."""

    def __init__(self, client: TestClient) -> None:
        self.texts: list[str] = []
        self.handing_out = False
        client.event_hooks["response"].append(self.record)

    def record(self, response: object) -> None:
        response.read()  # type: ignore[attr-defined]
        if not self.handing_out:
            # The answer only: the request's URL may carry an integration key by design.
            self.texts.append(f"{response.headers} {response.text}")  # type: ignore[attr-defined]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_secret_in_logs_events_answers_or_errors(
    client: TestClient,
    db: Database,
    people: dict[str, Person],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = Seen(client)
    admin, boss = people["admin"].auth, people["manager"].auth
    secrets = {f"token-{r}": p.token for r, p in people.items()}
    errors: list[str] = []

    # Secrets handed out once, to their owner: the only answers not checked.
    seen.handing_out = True
    secrets["api token"] = client.post("/api/v1/tokens", json={"name": "ci"}, headers=boss).json()[
        "token"
    ]
    team = client.post("/api/v1/teams", json={"name": "Core"}, headers=boss).json()
    service = client.post(
        "/api/v1/services", json={"name": "db", "team_id": team["id"]}, headers=boss
    ).json()
    integration = client.post(
        f"/api/v1/services/{service['id']}/integrations", json={"type": "alertmanager"},
        headers=boss,
    ).json()  # fmt: skip
    secrets["integration key"] = integration["key"]
    hook = client.post(
        "/api/v1/incident-webhooks",
        json={"name": "Bridge", "url": "https://hooks.example.org/m"}, headers=admin,
    ).json()  # fmt: skip
    secrets["webhook secret"] = hook["secret"]
    seen.handing_out = False

    secrets["playbook secret"] = f"pb-{os.urandom(8).hex()}"
    secrets["user password"] = f"pw-{os.urandom(8).hex()}"
    secrets["smtp password"] = f"smtp-{os.urandom(8).hex()}"

    # Working flows.
    r = client.put("/api/v1/secrets/PAGER_TOKEN", json={"value": secrets["playbook secret"]},
                   headers=admin)  # fmt: skip
    assert r.status_code in (200, 201), r.text
    client.get("/api/v1/secrets", headers=admin)
    r = client.post("/api/v1/users", headers=admin, json={
        "email": "new@example.com", "name": "New", "role": "viewer",
        "password": secrets["user password"]})  # fmt: skip
    assert r.status_code == 201, r.text
    r = post_login(client, {"email": "new@example.com", "password": secrets["user password"]},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    client.cookies.clear()
    alert = {"version": "4", "status": "firing",
             "alerts": [{"status": "firing", "labels": {"alertname": "disk"}}]}  # fmt: skip
    assert (
        client.post(f"/ingest/alertmanager/{secrets['integration key']}", json=alert).status_code
        == 202
    )
    client.get("/api/v1/alerts", headers=admin)
    client.get(
        f"/api/v1/events?subject_type=integration&subject_id={integration['id']}", headers=admin
    )
    client.get("/api/v1/events", headers=admin)
    client.get("/api/v1/incident-webhooks", headers=admin)
    client.get("/audit", headers=admin)

    # Failing flows: near-miss credentials, bad input carrying a secret, bad bodies.
    for name in ("api token", "token-viewer"):
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secrets[name]}x"})
    client.post(f"/ingest/alertmanager/{secrets['integration key']}", content=b"{not json")
    client.post(f"/ingest/alertmanager/{secrets['integration key']}x", json=alert)
    post_login(client, {"email": "new@example.com", "password": secrets["user password"] + "x"})
    post_login(client, {"email": "nobody@example.com", "password": secrets["user password"]})
    client.put(
        "/api/v1/secrets/bad name!", json={"value": secrets["playbook secret"]}, headers=admin
    )
    client.put(
        "/api/v1/secrets/X", json={"value": secrets["playbook secret"], "extra": 1}, headers=admin
    )
    client.post("/api/v1/users", headers=admin, json={
        "email": "not-an-email", "name": "", "role": "boss", "password": secrets["user password"]})  # fmt: skip
    with db.unit_of_work() as uow:
        try:
            authenticate_token(uow, secrets["api token"] + "x")
        except MusterError as exc:
            errors += [str(exc), repr(exc)]
    cfg = NotifySettings(smtp_host="127.0.0.1", smtp_port=closed_port(), smtp_user="muster",
                         smtp_password=secrets["smtp password"], smtp_tls="tls",
                         connect_timeout=0.5, read_timeout=0.5)  # fmt: skip
    page = Message(
        method_type="email", address="oncall@example.com", subject="Page", text="disk",
        html="<p>disk</p>", short="disk", voice="disk", data={}, idempotency_key="sec-1",
        reply_to=None, secret=None,
    )  # fmt: skip
    delivery = SmtpChannel(cfg, email_domain="example.com").send(page)
    assert not delivery.ok
    errors.append(str(delivery.error))

    with db.unit_of_work(readonly=True) as uow:
        events = [
            json.dumps({c.name: getattr(e, c.name) for c in Event.__table__.columns}, default=str)
            for e in uow.session.scalars(select(Event))
        ]
    places = {
        # The server's records (the test client's own httpx log names the URLs it calls).
        "logs": [
            f"{r.getMessage()} {r.exc_text or ''}"
            for r in caplog.records
            if r.name not in ("httpx", "httpx2")
        ],
        "events": events,
        "answers": seen.texts,
        "errors": errors,
    }
    assert len(seen.texts) > 15
    assert len(events) > 5
    leaks = [
        f"{secret_name} in {place}: {text[:200]!r}"
        for secret_name, secret in secrets.items()
        for place, texts in places.items()
        for text in texts
        if secret in text
    ]
    assert not leaks, "\n".join(leaks)


def test_settings_do_not_show_their_secrets(settings: Settings) -> None:
    shown = Settings(
        database_url=settings.database_url, var_dir=settings.var_dir,
        secret_key="cookie-signing-key-xyz", notify=NotifySettings(smtp_password="relay-pw-xyz"),
    )  # fmt: skip
    text = f"{shown!r} {shown}"
    assert "cookie-signing-key-xyz" not in text
    assert "relay-pw-xyz" not in text


def test_person_tokens_do_not_name_themselves(db: Database) -> None:
    person = make_person(db, "viewer")
    with db.unit_of_work(readonly=True) as uow, pytest.raises(MusterError) as caught:
        authenticate_token(uow, person.token[:-1])
    assert person.token[:-1] not in f"{caught.value} {caught.value!r}"
