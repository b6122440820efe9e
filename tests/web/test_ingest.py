"""Intake over HTTP: every format in, de-duplicated, nothing half-stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.events.models import Event


@pytest.fixture
def service(client: TestClient, people: dict[str, Person]) -> dict[str, Any]:
    auth = people["manager"].auth
    team = client.post("/api/v1/teams", json={"name": "Core"}, headers=auth).json()
    svc: dict[str, Any] = client.post(
        "/api/v1/services", json={"name": "checkout", "team_id": team["id"]}, headers=auth
    ).json()
    return svc


def integration(client: TestClient, people: dict[str, Person], service: dict[str, Any], type: str,
                **extra: Any) -> dict[str, Any]:  # fmt: skip
    r = client.post(f"/api/v1/services/{service['id']}/integrations", json={"type": type, **extra},
                    headers=people["manager"].auth)  # fmt: skip
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def am_alert(
    name: str, status: str = "firing", fp: str | None = None, **labels: str
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "critical", **labels},
        "annotations": {"summary": f"{name} is failing", "description": "details here"},
        "startsAt": "2026-01-05T08:59:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-01-05T09:10:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fp or f"fp-{name}",
    }


def am_group(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4", "groupKey": '{}:{alertname="x"}', "truncatedAlerts": 0,
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "receiver": "muster", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager", "alerts": list(alerts),
    }  # fmt: skip


def alerts(db: Database) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).order_by(Alert.first_seen, Alert.id)))


def count(db: Database, model: Any) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_alertmanager_group_upserts_by_fingerprint(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    url = integration(client, people, service, "alertmanager")["url"].replace(
        "http://127.0.0.1:8000", ""
    )
    r = client.post(url, json=am_group(am_alert("HighLatency"), am_alert("ErrorRate")))
    assert r.status_code == 202
    assert r.json()["outcomes"] == {"created": 2}
    # Re-sent with one resolved and one still firing, plus a resend of the same: counters only.
    r = client.post(url, json=am_group(am_alert("HighLatency", "resolved"), am_alert("ErrorRate")))
    assert r.json()["outcomes"] == {"resolved": 1, "deduplicated": 1}
    r = client.post(url, json=am_group(am_alert("HighLatency", "resolved"), am_alert("ErrorRate")))
    assert r.json()["outcomes"] == {"ignored": 1, "deduplicated": 1}
    rows = {a.dedup_key: a for a in alerts(db)}
    assert rows["fp-HighLatency"].status == "resolved"
    assert rows["fp-ErrorRate"].status == "triggered"
    assert rows["fp-ErrorRate"].occurrences == 3
    assert rows["fp-ErrorRate"].summary == "ErrorRate is failing"
    assert rows["fp-ErrorRate"].severity == "critical"
    assert rows["fp-ErrorRate"].labels["alertname"] == "ErrorRate"
    assert count(db, Alert) == 2


def test_resolved_without_firing_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    url = integration(client, people, service, "alertmanager")["url"].replace(
        "http://127.0.0.1:8000", ""
    )
    r = client.post(url, json=am_group(am_alert("Flap", "resolved")))
    assert r.status_code == 202
    assert r.json()["outcomes"] == {"ignored": 1}
    assert count(db, Alert) == 0


def test_pagerduty_trigger_ack_resolve_and_retrigger(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    key = integration(client, people, service, "pagerduty")["key"]
    trigger = {"routing_key": key, "event_action": "trigger", "dedup_key": "disk-1",
               "payload": {"summary": "Disk full", "source": "db-1", "severity": "error"}}  # fmt: skip
    r = client.post("/v2/enqueue", json=trigger)
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk-1"}
    assert client.post("/v2/enqueue", json=trigger).status_code == 202
    assert alerts(db)[0].occurrences == 2
    client.post(
        "/v2/enqueue",
        json={"routing_key": key, "event_action": "acknowledge", "dedup_key": "disk-1"},
    )
    assert alerts(db)[0].status == "acknowledged"
    client.post(
        "/v2/enqueue", json={"routing_key": key, "event_action": "resolve", "dedup_key": "disk-1"}
    )
    assert alerts(db)[0].status == "resolved"
    # resolve of an unknown key changes nothing
    r = client.post(
        "/v2/enqueue", json={"routing_key": key, "event_action": "resolve", "dedup_key": "nope"}
    )
    assert r.status_code == 202
    client.post("/v2/enqueue", json=trigger)
    rows = alerts(db)
    assert [a.status for a in rows] == ["resolved", "triggered"]
    assert rows[0].group_id != rows[1].group_id


def test_pagerduty_generates_a_dedup_key(
    client: TestClient, people: dict[str, Person], service: dict[str, Any]
) -> None:
    key = integration(client, people, service, "pagerduty")["key"]
    r = client.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger",
                                         "payload": {"summary": "x", "source": "y", "severity": "info"}})  # fmt: skip
    assert r.status_code == 202
    assert len(r.json()["dedup_key"]) >= 16


def test_pagerduty_errors_in_pagerduty_format(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    key = integration(client, people, service, "pagerduty")["key"]
    r = client.post(
        "/v2/enqueue",
        json={"routing_key": key, "event_action": "trigger", "payload": {"source": "y"}},
    )
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "invalid event"
    assert body["message"] == "Event object is invalid"
    assert any("payload.summary" in e for e in body["errors"])
    r = client.post(
        "/v2/enqueue", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    r = client.post("/v2/enqueue", json={"routing_key": "0" * 32, "event_action": "trigger",
                                         "payload": {"summary": "x", "source": "y", "severity": "info"}})  # fmt: skip
    assert r.status_code == 404
    assert count(db, Alert) == 0


def test_change_events_land_on_the_service_timeline(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    key = integration(client, people, service, "pagerduty")["key"]
    r = client.post("/v2/change/enqueue", json={"routing_key": key, "payload": {
        "summary": "Deployed v2.3", "source": "ci", "timestamp": "2026-01-05T08:00:00Z"}})  # fmt: skip
    assert r.status_code == 202, r.text
    history = client.get(f"/api/v1/events?subject_type=service&subject_id={service['id']}",
                         headers=people["viewer"].auth).json()["items"]  # fmt: skip
    change = [e for e in history if e["type"] == "service.change"]
    assert change[0]["data"]["summary"] == "Deployed v2.3"
    assert count(db, Alert) == 0


def test_revoked_and_regenerated_keys(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    integ = integration(client, people, service, "alertmanager")
    path = f"/ingest/alertmanager/{integ['key']}"
    auth = people["manager"].auth
    new = client.post(f"/api/v1/integrations/{integ['id']}/regenerate-key", headers=auth).json()
    assert new["key"] != integ["key"]
    r = client.post(path, json=am_group(am_alert("A")))
    assert r.status_code == 404
    client.post(f"/api/v1/integrations/{integ['id']}/revoke", headers=auth)
    r2 = client.post(f"/ingest/alertmanager/{new['key']}", json=am_group(am_alert("A")))
    assert r2.status_code == 404
    assert r.json()["detail"] == r2.json()["detail"], "unknown and revoked look the same"
    assert (
        client.post("/ingest/alertmanager/" + "x" * 500, json=am_group(am_alert("A"))).status_code
        == 404
    )
    assert count(db, Alert) == 0


def test_bad_bodies_are_refused_and_store_nothing(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    path = f"/ingest/alertmanager/{integration(client, people, service, 'alertmanager')['key']}"
    before = count(db, Event)
    cases = [
        (b"{", 400), (b"\xff\xfe garbage", 400), (b"[" * 10000 + b"]" * 10000, 400),
        (json.dumps({"version": "4", "alerts": "nope"}).encode(), 400),
        (b'{"alerts": [' + b'{"labels": {"a": "' + b"x" * 600_000 + b'"}}' + b"]}", 413),
    ]  # fmt: skip
    for body, status in cases:
        r = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == status, (body[:30], r.status_code, r.text[:200])
        assert r.headers["content-type"] == "application/problem+json"
    assert count(db, Alert) == 0
    assert count(db, Event) == before


def test_rate_limit_answers_429_with_retry_after(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    integ = integration(client, people, service, "pagerduty", rate_limit_per_minute=6)
    event = {"routing_key": integ["key"], "event_action": "trigger",
             "payload": {"summary": "x", "source": "y", "severity": "info"}}  # fmt: skip
    statuses = [client.post("/v2/enqueue", json=event).status_code for _ in range(12)]
    assert statuses[:10] == [202] * 10
    assert statuses[10:] == [429, 429]
    r = client.post("/v2/enqueue", json=event)
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["status"] == "throttle exceeded"
    assert count(db, Alert) == 10


def test_heartbeat_ping_miss_and_resume(
    client: TestClient,
    db: Database,
    people: dict[str, Person],
    service: dict[str, Any],
    clock: ManualClock,
) -> None:
    from muster.engine.modules import default_modules
    from muster.engine.runner import Runner

    integ = integration(
        client, people, service, "heartbeat", config={"interval_seconds": 60, "grace_seconds": 30}
    )
    path = f"/ingest/heartbeat/{integ['key']}"
    assert client.post(path).status_code == 202
    runner = Runner(db, default_modules())
    clock.advance(seconds=80)
    runner.run_until_idle()
    assert alerts(db) == []
    clock.advance(seconds=20)  # 100 s after the ping: overdue
    runner.run_until_idle()
    runner.run_until_idle()
    rows = alerts(db)
    assert len(rows) == 1
    assert rows[0].status == "triggered"
    assert "missed" in rows[0].summary
    # A restarted engine (a new runner) does not raise it twice.
    Runner(db, default_modules()).run_until_idle()
    assert len(alerts(db)) == 1
    assert client.post(path).status_code == 202
    assert alerts(db)[0].status == "resolved"


def test_per_integration_metrics(
    client: TestClient, people: dict[str, Person], service: dict[str, Any]
) -> None:
    integ = integration(client, people, service, "alertmanager")
    client.post(f"/ingest/alertmanager/{integ['key']}", json=am_group(am_alert("M")))
    client.post(f"/ingest/alertmanager/{integ['key']}", json=am_group(am_alert("M")))
    client.post(f"/ingest/alertmanager/{integ['key']}", content=b"{")
    body = client.get("/metrics").text
    assert (
        f'muster_ingest_alerts_total{{integration="{integ["id"]}",outcome="created",type="alertmanager"}} 1.0'
        in body
    )
    assert (
        f'muster_ingest_alerts_total{{integration="{integ["id"]}",outcome="deduplicated",type="alertmanager"}} 1.0'
        in body
    )
    assert 'muster_ingest_rejected_total{reason="malformed",type="alertmanager"}' in body
    assert "muster_ingest_accept_seconds_bucket" in body


def test_groups_follow_alerts(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    key = integration(client, people, service, "pagerduty")["key"]
    client.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger", "dedup_key": "g",
                                     "payload": {"summary": "x", "source": "y", "severity": "info"}})  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        group = uow.session.scalars(select(AlertGroup)).one()
        assert group.status == "triggered"
        assert group.pages is True
    client.post(
        "/v2/enqueue", json={"routing_key": key, "event_action": "resolve", "dedup_key": "g"}
    )
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(AlertGroup)).one().status == "resolved"
