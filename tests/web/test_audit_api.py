"""/api/v1/audit and /audit: the event log for admins — filtered by who, door, type,
subject, address and time, with the token's name and before/after values; exported as
CSV and JSON lines (the export recorded); forwarders configured with bad input named."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from fastapi.testclient import TestClient

from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.audit.models import AuditForwarder
from ui_support import as_person, count, events_of_type, last_event

API = "/api/v1/audit"
PUBLIC_URL = "https://siem.example.org/muster"  # resolves nowhere here: allowed, checked per send


def make_changes(client: TestClient, people: dict[str, Person], clock: ManualClock) -> str:
    """The manager creates a team by API, then renames it an hour later; returns its id."""
    made = client.post("/api/v1/teams", json={"name": "Payments"}, headers=people["manager"].auth)
    assert made.status_code == 201, made.text
    clock.advance(hours=1)
    team_id = str(made.json()["id"])
    renamed = client.patch(f"/api/v1/teams/{team_id}", json={"name": "Billing"},
                           headers=people["manager"].auth)  # fmt: skip
    assert renamed.status_code == 200
    return team_id


def test_filters_show_who_through_which_token_from_where_with_before_and_after(
    client: TestClient, people: dict[str, Person], clock: ManualClock
) -> None:
    team_id = make_changes(client, people, clock)
    admin = people["admin"].auth
    found = client.get(f"{API}/events", params={"type_prefix": "team."}, headers=admin).json()
    assert [e["type"] for e in found["items"]] == ["team.updated", "team.created"]
    updated = found["items"][0]
    assert updated["actor_label"] == people["manager"].email
    assert (updated["via"], updated["ip"], updated["token_name"]) == ("api", "testclient", "test")
    assert updated["door"] == 'api (token "test")'
    assert updated["changes"] == {"name": ["Payments", "Billing"]}

    def types(**params: str) -> list[str]:
        answer = client.get(f"{API}/events", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        return [e["type"] for e in answer.json()["items"]]

    manager = people["manager"]
    assert set(types(actor=manager.email)) == {"team.created", "team.updated"}
    assert set(types(actor=manager.id)) == {"team.created", "team.updated"}
    assert types(actor="MANAGER-")  # part of the label, any case
    assert types(subject_type="team", subject_id=team_id) == ["team.updated", "team.created"]
    since = (clock.now() - timedelta(minutes=30)).isoformat()
    assert types(type_prefix="team.", since=since) == ["team.updated"]
    assert types(type_prefix="team.", until=since) == ["team.created"]
    assert types(via="api", type_prefix="team.") == ["team.updated", "team.created"]
    assert types(via="ui", type_prefix="team.") == []
    assert types(type_prefix="team%") == []  # a wildcard is taken literally

    page = client.get(f"{API}/events", params={"limit": 1}, headers=admin).json()
    older = client.get(f"{API}/events", params={"limit": 1, "cursor": page["next_cursor"]},
                       headers=admin).json()  # fmt: skip
    assert older["items"][0]["position"] < page["items"][0]["position"]


def test_bad_filters_are_refused_naming_the_field(
    client: TestClient, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    cases = [
        ({"via": "telepathy"}, "via"),
        ({"since": "2026-01-05T09:00:00"}, "since"),  # no time zone
        ({"since": "2026-01-05T09:00:00Z", "until": "2026-01-05T08:00:00Z"}, "until"),
    ]
    for params, field in cases:
        answer = client.get(f"{API}/events", params=params, headers=admin)
        assert answer.status_code == 422, (params, answer.text)
        assert field in {e["field"] for e in answer.json()["errors"]}
    assert (
        client.get(f"{API}/events", params={"since": "yesterday"}, headers=admin).status_code == 422
    )
    assert (
        client.get(f"{API}/events", params={"actor": "x" * 201}, headers=admin).status_code == 422
    )
    assert (
        client.get(f"{API}/events", params={"cursor": "nonsense"}, headers=admin).status_code == 422
    )
    for role in ("manager", "responder", "viewer"):
        assert client.get(f"{API}/events", headers=people[role].auth).status_code == 403
        assert client.get(f"{API}/export", headers=people[role].auth).status_code == 403
    assert client.get(f"{API}/events").status_code == 401


def test_exports_stream_csv_and_json_lines_and_are_recorded(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    make_changes(client, people, clock)
    admin = people["admin"].auth
    lines = client.get(f"{API}/export", params={"format": "jsonl", "type_prefix": "team."},
                       headers=admin)  # fmt: skip
    assert lines.status_code == 200
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in lines.headers["content-disposition"]
    records = [json.loads(line) for line in lines.text.splitlines()]
    assert [r["type"] for r in records] == ["team.created", "team.updated"]  # oldest first
    assert records[1]["changes"] == {"name": ["Payments", "Billing"]}
    assert records[1]["token_name"] == "test"

    table = client.get(f"{API}/export", params={"format": "csv", "type_prefix": "team."},
                       headers=admin)  # fmt: skip
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["type"] for r in rows] == ["team.created", "team.updated"]
    assert json.loads(rows[1]["changes"]) == {"name": ["Payments", "Billing"]}
    assert rows[1]["ip"] == "testclient"
    assert rows[1]["actor"] == people["manager"].email

    exported = events_of_type(db, "audit.exported")
    assert [e.data["format"] for e in exported] == ["jsonl", "csv"]
    assert exported[0].data["filter"] == {"type_prefix": "team."}
    assert exported[0].actor_id == people["admin"].id
    bad = client.get(f"{API}/export", params={"format": "xml"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "format"
    assert len(events_of_type(db, "audit.exported")) == 2  # a refused export is not recorded


def test_forwarder_crud_with_bad_input_named_and_nothing_changed(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    made = client.post(f"{API}/forwarders", json={"name": "SIEM", "kind": "webhook",
                                                   "url": PUBLIC_URL}, headers=admin)  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["secret"].startswith("whsec_")
    assert body["behind"] == 0
    assert body["secret"] not in json.dumps(last_event(db, "audit_forwarder.created").data)
    hook_id = body["id"]
    assert "secret" not in client.get(f"{API}/forwarders/{hook_id}", headers=admin).json()

    bad = [
        ({"name": "s", "kind": "syslog", "port": 514, "transport": "tcp"}, "host"),
        ({"name": "s", "kind": "syslog", "host": "siem.example.org", "transport": "tcp"}, "port"),
        ({"name": "s", "kind": "syslog", "host": "10.0.0.5", "port": 514, "transport": "tcp"},
         "host"),  # private, and the outbound policy does not allow it
        ({"name": "s", "kind": "syslog", "host": "siem.example.org", "port": 70000,
          "transport": "tcp"}, "port"),
        ({"name": "s", "kind": "syslog", "host": "siem.example.org", "port": 6514,
          "transport": "tls", "tls_ca_pem": "-----BEGIN CERTIFICATE-----\nnope\n"}, "tls_ca_pem"),
        ({"name": "s", "kind": "webhook"}, "url"),
        ({"name": "s", "kind": "webhook", "url": "ftp://siem.example.org/"}, "url"),
        ({"name": "s", "kind": "pigeon", "url": PUBLIC_URL}, "kind"),
        ({"name": "x" * 121, "kind": "webhook", "url": PUBLIC_URL}, "name"),
        ({"name": "s", "kind": "webhook", "url": PUBLIC_URL, "colour": "red"}, "colour"),
    ]  # fmt: skip
    for payload, field in bad:
        answer = client.post(f"{API}/forwarders", json=payload, headers=admin)
        assert answer.status_code == 422, (payload, answer.text)
        assert any(field in e["field"] for e in answer.json()["errors"]), (field, answer.text)
    duplicate = client.post(f"{API}/forwarders", json={"name": "SIEM", "kind": "webhook",
                                                        "url": PUBLIC_URL}, headers=admin)  # fmt: skip
    assert duplicate.status_code == 409
    assert count(db, AuditForwarder) == 1
    assert client.post(f"{API}/forwarders", json={"name": "s", "kind": "webhook", "url": PUBLIC_URL},
                       headers=people["manager"].auth).status_code == 403  # fmt: skip

    wrong = client.patch(f"{API}/forwarders/{hook_id}", json={"host": "siem.example.org"},
                         headers=admin)  # fmt: skip
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "host"
    paused = client.patch(f"{API}/forwarders/{hook_id}",
                          json={"enabled": False, "type_prefixes": ["user."]}, headers=admin)  # fmt: skip
    assert paused.status_code == 200
    assert (paused.json()["enabled"], paused.json()["type_prefixes"]) == (False, ["user."])
    change = last_event(db, "audit_forwarder.updated").data["changes"]
    assert change == {"enabled": [True, False], "type_prefixes": [[], ["user."]]}
    rotated = client.post(f"{API}/forwarders/{hook_id}/rotate-secret", headers=admin).json()
    assert rotated["secret"] != body["secret"]
    assert client.delete(f"{API}/forwarders/{hook_id}", headers=admin).status_code == 204
    assert client.get(f"{API}/forwarders/{hook_id}", headers=admin).status_code == 404


def test_audit_page_filters_exports_and_adds_a_forwarder(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    make_changes(client, people, clock)
    csrf = as_person(client, people["admin"])
    page = client.get("/audit", params={"type_prefix": "team.", "via": "api"})
    assert page.status_code == 200
    assert "team.updated" in page.text
    assert "Payments → Billing" in page.text
    assert "api (token &#34;test&#34;)" in page.text or 'api (token "test")' in page.text
    assert "user.created" not in page.text
    assert "/audit/export?" in page.text
    assert "format=csv" in page.text
    bad = client.get("/audit", params={"since": "soon"})
    assert bad.status_code == 422
    assert "not a date and time" in bad.text
    naive = client.get("/audit", params={"type_prefix": "team.", "since": "2000-01-01T00:00"})
    assert naive.status_code == 200
    assert "team.created" in naive.text
    download = client.get("/audit/export", params={"format": "csv", "type_prefix": "team."})
    assert download.status_code == 200
    assert download.text.count("team.") == 2

    form = {"csrf_token": csrf, "name": "Collector", "kind": "syslog", "host": "10.0.0.5",
            "port": "514", "transport": "tcp", "url": "", "tls_ca_pem": "", "type_prefixes": ""}  # fmt: skip
    refused = client.post("/audit/forwarders", data=form)
    assert refused.status_code == 422
    assert "non-public address" in refused.text
    assert count(db, AuditForwarder) == 0
    made = client.post("/audit/forwarders", data={**form, "kind": "webhook", "url": PUBLIC_URL,
                                                    "type_prefixes": "user., team."})  # fmt: skip
    assert made.status_code == 200
    assert "whsec_" in made.text
    assert made.headers["cache-control"] == "no-store"
    listed = client.get("/audit/forwarders")
    assert "Collector" in listed.text
    assert "whsec_" not in listed.text
    assert "user., team." in listed.text
    hook_id = db_forwarder_id(db)
    paused = client.post(f"/audit/forwarders/{hook_id}/pause", data={"csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert paused.status_code == 303
    assert client.post(f"/audit/forwarders/{hook_id}/delete", data={}).status_code == 403  # no CSRF
    assert count(db, AuditForwarder) == 1


def db_forwarder_id(db: Database) -> str:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.query(AuditForwarder).one()
        return row.id
