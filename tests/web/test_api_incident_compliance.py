"""/api/v1/incidents/{id}/compliance and /api/v1/compliance/clocks: applying regimes,
recording facts, submitting (JSON and multipart with a document), explaining a miss,
the cross-incident list; permissions and bad input."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from helpers import Person
from muster.clock import ManualClock

API = "/api/v1/incidents"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _declare(client: TestClient, person: Person, **fields: object) -> str:
    r = client.post(API, json={"title": "Customer data exposed", **fields}, headers=person.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _clock(state: dict[str, Any], deadline: str) -> dict[str, Any]:
    return next(c for c in state["clocks"] if c["deadline"] == deadline)


def _gdpr(client: TestClient, person: Person, aware: datetime = START) -> tuple[str, dict[str, Any]]:  # fmt: skip
    incident = _declare(client, person)
    base = f"{API}/{incident}/compliance"
    r = client.post(f"{base}/regimes", json={"regime": "gdpr-33", "reason": "PII"}, headers=person.auth)  # fmt: skip
    assert r.status_code == 201, r.text
    fact = {"at": aware.isoformat(), "reason": "SOC ticket"}
    r = client.put(f"{base}/facts/aware_at", json=fact, headers=person.auth)
    assert r.status_code == 200, r.text
    return incident, r.json()


def test_apply_record_and_submit_with_a_document(
    client: TestClient, people: dict[str, Person], clock: ManualClock
) -> None:
    who = people["responder"]
    incident, state = _gdpr(client, who)
    gdpr = _clock(state, "gdpr-33/authority")
    assert (gdpr["status"], gdpr["seconds_left"]) == ("running", 72 * 3600)
    assert gdpr["due_at"].startswith("2026-01-08T09:00:00")
    assert [f["key"] for f in state["facts"]] == ["aware_at"]
    clock.advance(hours=10)
    body = b"notification form"
    r = client.post(
        f"{API}/{incident}/compliance/clocks/{gdpr['id']}/submissions",
        data={"recipient": "CNIL", "reference": "N-1", "late_reason": ""},
        files={"document": ("art33.pdf", body, "application/pdf")},
        headers=who.auth,
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["document_sha256"] == hashlib.sha256(body).hexdigest()
    assert (sent["document_name"], sent["document_size"], sent["late"]) == ("art33.pdf", len(body), False)  # fmt: skip
    state = client.get(f"{API}/{incident}/compliance", headers=people["viewer"].auth).json()
    assert _clock(state, "gdpr-33/authority")["status"] == "submitted"
    assert [s["reference"] for s in state["submissions"]] == ["N-1"]


def test_late_json_submission_needs_a_reason_and_a_miss_is_explained(
    client: TestClient, people: dict[str, Person], clock: ManualClock
) -> None:
    who = people["responder"]
    incident, state = _gdpr(client, who, aware=START - timedelta(hours=80))
    gdpr = _clock(state, "gdpr-33/authority")
    assert gdpr["status"] == "missed"
    url = f"{API}/{incident}/compliance/clocks/{gdpr['id']}"
    r = client.post(f"{url}/submissions", json={"recipient": "CNIL"}, headers=who.auth)
    assert r.status_code == 422
    assert "late_reason" in r.text
    r = client.post(f"{url}/miss-reason", json={"reason": ""}, headers=who.auth)
    assert r.status_code == 422
    r = client.post(f"{url}/miss-reason", json={"reason": "found late"}, headers=who.auth)
    assert r.status_code == 204
    r = client.post(
        f"{url}/submissions", json={"recipient": "CNIL", "late_reason": "found late"},
        headers=who.auth,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["late"] is True
    state = client.get(f"{API}/{incident}/compliance", headers=who.auth).json()
    assert _clock(state, "gdpr-33/authority")["missed_reason"] == "found late"


def test_removing_a_regime_needs_a_reason(client: TestClient, people: dict[str, Person]) -> None:
    who = people["responder"]
    incident, _ = _gdpr(client, who)
    url = f"{API}/{incident}/compliance/regimes/gdpr-33"
    assert client.delete(url, headers=who.auth).status_code == 422
    r = client.delete(url + "?reason=no%20personal%20data", headers=who.auth)
    assert r.status_code == 200, r.text
    assert r.json()["regimes"] == []
    assert _clock(r.json(), "gdpr-33/authority")["status"] == "not_applicable"
    assert client.delete(url + "?reason=again", headers=who.auth).status_code == 404


def test_bad_input_names_the_field(client: TestClient, people: dict[str, Person]) -> None:
    who = people["responder"]
    incident, state = _gdpr(client, who)
    base = f"{API}/{incident}/compliance"
    cases: list[tuple[str, str, Any, int, str]] = [
        ("post", "/regimes", {"regime": "nope", "reason": "x"}, 422, "regime"),
        ("post", "/regimes", {"regime": "gdpr-33", "reason": "again"}, 409, "regime"),
        ("post", "/regimes", {"regime": "dora"}, 422, "reason"),
        ("put", "/facts/Aware", {"at": START.isoformat(), "reason": "x"}, 422, "key"),
        ("put", "/facts/aware_at", {"at": "2026-01-05T09:00:00", "reason": "x"}, 422, "at"),
        ("put", "/facts/affected_people", {"number": "many", "reason": "x"}, 422, "number"),
        (
            "put",
            "/facts/aware_at",
            {"at": START.isoformat(), "reason": "x", "extra": 1},
            422,
            "extra",
        ),
    ]
    for method, path, body, status, field in cases:
        r = getattr(client, method)(base + path, json=body, headers=who.auth)
        assert r.status_code == status, (path, body, r.text)
        assert field in r.text, (path, r.text)
    gdpr = _clock(state, "gdpr-33/authority")
    url = f"{base}/clocks/{gdpr['id']}/submissions"
    r = client.post(url, content=b"{not json", headers={**who.auth, "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 422
    assert "body" in r.text
    assert client.post(url, json={"recipient": ""}, headers=who.auth).status_code == 422
    r = client.post(f"{base}/clocks/nope/submissions", json={"recipient": "x"}, headers=who.auth)
    assert r.status_code == 404
    after = client.get(base, headers=who.auth).json()
    assert after["submissions"] == []
    assert len(after["regimes"]) == 1


def test_viewers_read_only_and_restricted_incidents_are_hidden(
    client: TestClient, people: dict[str, Person]
) -> None:
    incident, _ = _gdpr(client, people["responder"])
    viewer = people["viewer"]
    base = f"{API}/{incident}/compliance"
    assert client.get(base, headers=viewer.auth).status_code == 200
    r = client.post(f"{base}/regimes", json={"regime": "dora", "reason": "x"}, headers=viewer.auth)
    assert r.status_code == 403
    r = client.put(f"{base}/facts/aware_at", json={"at": START.isoformat(), "reason": "x"}, headers=viewer.auth)  # fmt: skip
    assert r.status_code == 403
    secret, _ = _gdpr(client, people["responder"])
    client.patch(f"{API}/{secret}", json={"restricted": True}, headers=people["admin"].auth)
    outsider = people["manager"]  # not a participant, not on a security team
    assert client.get(f"{API}/{secret}/compliance", headers=outsider.auth).status_code == 404
    r = client.post(f"{API}/{secret}/compliance/regimes", json={"regime": "dora", "reason": "x"}, headers=outsider.auth)  # fmt: skip
    assert r.status_code == 404
    listed = client.get("/api/v1/compliance/clocks", headers=outsider.auth).json()
    assert [c["incident_id"] for c in listed["items"]] == [incident]


def test_the_list_across_incidents_filters_and_pages(
    client: TestClient, people: dict[str, Person], clock: ManualClock
) -> None:
    who = people["responder"]
    first, _ = _gdpr(client, who)
    second, _ = _gdpr(client, who, aware=START - timedelta(hours=100))  # missed
    third = _declare(client, who)
    base = f"{API}/{third}/compliance"
    client.post(f"{base}/regimes", json={"regime": "nis2-23", "reason": "essential entity"}, headers=who.auth)  # fmt: skip
    client.put(f"{base}/facts/aware_at", json={"at": START.isoformat(), "reason": "x"}, headers=who.auth)  # fmt: skip
    url = "/api/v1/compliance/clocks"
    everything = client.get(url, headers=who.auth).json()["items"]
    # NIS2's final report waits (no deadline yet), so it is not listed.
    assert [c["deadline"] for c in everything] == [
        "gdpr-33/authority", "nis2-23/early-warning", "gdpr-33/authority", "nis2-23/notification",
    ]  # fmt: skip
    assert everything[0]["incident_id"] == second
    missed = client.get(url + "?status=missed", headers=who.auth).json()["items"]
    assert [c["incident_id"] for c in missed] == [second]
    gdpr = client.get(url + "?regime=gdpr-33&status=running", headers=who.auth).json()["items"]
    assert [c["incident_id"] for c in gdpr] == [first]
    soon = client.get(url, params={"due_before": (START + timedelta(hours=48)).isoformat()}, headers=who.auth)  # fmt: skip
    assert [c["deadline"] for c in soon.json()["items"]] == ["gdpr-33/authority", "nis2-23/early-warning"]  # fmt: skip
    pages, cursor = [], None
    for _ in range(len(everything) + 1):
        r = client.get(url, params={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=who.auth)  # fmt: skip
        assert r.status_code == 200, r.text
        pages += [c["id"] for c in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert pages == [c["id"] for c in everything]
    for bad in ("?status=late", "?regime=nope", "?cursor=xyz", "?limit=0", "?due_before=tomorrow"):
        assert client.get(url + bad, headers=who.auth).status_code == 422, bad


def test_a_submitted_document_may_be_larger_than_an_ordinary_request(
    client: TestClient, people: dict[str, Person], clock: ManualClock
) -> None:
    who = people["responder"]
    incident, state = _gdpr(client, who)
    clock.advance(hours=1)
    body = b"%PDF-1.7 scanned notification " * 100_000  # 3 MB: over the 1 MiB request limit
    r = client.post(
        f"{API}/{incident}/compliance/clocks/{_clock(state, 'gdpr-33/authority')['id']}/submissions",
        data={"recipient": "CNIL"},
        files={"document": ("scan.pdf", body, "application/pdf")},
        headers=who.auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["document_size"] == len(body)
