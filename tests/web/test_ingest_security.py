"""Security-tool webhooks over HTTP: each format in with a real-shaped payload, repeats
folded, malformed/oversized/unknown-key refused without storing anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import Person
from muster.db.uow import Database
from muster.domain.alerts.models import Alert
from muster.integrations.normalized import MAX_BODY_BYTES

PAYLOADS = Path(__file__).parents[1] / "unit" / "integrations" / "security_payloads"
CASES = [
    ("wazuh", "wazuh_sshd.json", 1, 0),
    ("suricata", "suricata_eve.jsonl", 2, 2),
    ("falco", "falco_shell.json", 1, 0),
    ("elastic", "elastic_alerts.json", 2, 0),
    ("splunk", "splunk_webhook.json", 1, 0),
    ("cef", "cef_records.txt", 2, 0),
]


@pytest.fixture
def service(client: TestClient, people: dict[str, Person]) -> dict[str, Any]:
    auth = people["manager"].auth
    team = client.post("/api/v1/teams", json={"name": "SecOps"}, headers=auth).json()
    svc: dict[str, Any] = client.post(
        "/api/v1/services", json={"name": "perimeter", "team_id": team["id"]}, headers=auth
    ).json()
    return svc


def ingest_path(client: TestClient, people: dict[str, Person], service: dict[str, Any],
                type: str, **extra: Any) -> str:  # fmt: skip
    r = client.post(f"/api/v1/services/{service['id']}/integrations", json={"type": type, **extra},
                    headers=people["manager"].auth)  # fmt: skip
    assert r.status_code == 201, r.text
    url: str = r.json()["url"]
    assert url.endswith(f"/ingest/{type}/{r.json()['key']}")
    return url[url.index("/ingest/") :]


def stored(db: Database) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).order_by(Alert.dedup_key)))


@pytest.mark.parametrize(("type", "name", "alerts", "ignored"), CASES)
def test_each_format_stores_and_folds_repeats(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any],
    type: str, name: str, alerts: int, ignored: int,
) -> None:  # fmt: skip
    path = ingest_path(client, people, service, type)
    body = (PAYLOADS / name).read_bytes()
    r = client.post(path, content=body)
    assert r.status_code == 202, r.text
    assert r.json()["outcomes"] == {"created": alerts}
    assert r.json()["ignored"] == ignored
    again = client.post(path, content=body)
    assert again.json()["outcomes"] == {"deduplicated": alerts}
    rows = stored(db)
    assert len(rows) == alerts
    for row in rows:
        assert row.labels["tool"] == type
        assert row.custom_details["security"]["tool"] == type
        assert row.occurrences == 2


def test_stored_alert_keeps_labels_and_observables(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    path = ingest_path(client, people, service, "wazuh")
    assert client.post(path, content=(PAYLOADS / "wazuh_sshd.json").read_bytes()).status_code == 202
    [alert] = stored(db)
    assert alert.severity == "warning"
    assert alert.labels["rule_id"] == "5712"
    assert alert.labels["mitre_techniques"] == "T1110"
    assert alert.custom_details["security"]["src_ip"] == "203.0.113.45"
    assert alert.raw["rule"]["id"] == "5712"


def test_multi_line_eve_with_a_bad_line_stores_nothing(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    path = ingest_path(client, people, service, "suricata")
    body = (PAYLOADS / "suricata_eve.jsonl").read_bytes() + b'{"event_type": "alert"}\n'
    r = client.post(path, content=body)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {"field": "line 6: alert", "reason": "is missing"} in r.json()["errors"]
    assert stored(db) == []


@pytest.mark.parametrize(("type", "body", "field"), [
    ("wazuh", b'{"agent": {"name": "web-01"}}', "rule"),
    ("falco", b'{"rule": "x", "output": "y"}', "priority"),
    ("splunk", b'{"result": {}}', "sid"),
    ("elastic", b'{"alerts": "none"}', "alerts"),
    ("cef", b"not cef at all", "line 1"),
    ("suricata", b"[]", "body"),
])  # fmt: skip
def test_malformed_payloads_are_400_naming_the_field(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any],
    type: str, body: bytes, field: str,
) -> None:  # fmt: skip
    path = ingest_path(client, people, service, type)
    r = client.post(path, content=body)
    assert r.status_code == 400, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert stored(db) == []


def test_oversized_unknown_key_and_wrong_type(
    client: TestClient, db: Database, people: dict[str, Person], service: dict[str, Any]
) -> None:
    path = ingest_path(client, people, service, "falco")
    assert client.post(path, content=b" " * (MAX_BODY_BYTES + 1)).status_code == 413
    falco = (PAYLOADS / "falco_shell.json").read_bytes()
    assert client.post("/ingest/falco/" + "0" * 32, content=falco).status_code == 404
    # A key of another type is no key here.
    wazuh = (PAYLOADS / "wazuh_sshd.json").read_bytes()
    assert client.post(path.replace("/falco/", "/wazuh/"), content=wazuh).status_code == 404
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Alert)) == 0


def test_cef_integration_config_is_validated(
    client: TestClient, people: dict[str, Person], service: dict[str, Any]
) -> None:
    r = client.post(f"/api/v1/services/{service['id']}/integrations",
                    json={"type": "cef", "config": {"match": [{"product": "x"}]}},
                    headers=people["manager"].auth)  # fmt: skip
    assert r.status_code in (400, 422)
    assert "config.match[0].vendor" in json.dumps(r.json())
