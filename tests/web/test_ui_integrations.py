"""The service page's alerting sections: integrations (add, new key, revoke), the generic
mapping editor (test without saving, save), maintenance windows and alert handling."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alert_support import integration_row, make_service
from helpers import SYSTEM, Person
from muster.db.uow import Database
from muster.domain.accounts.schemas import UserUpdate
from muster.domain.accounts.service import do_update_user
from muster.domain.alerts.models import Integration, MaintenanceWindow
from muster.domain.catalog.models import Service
from muster.domain.events.models import Event
from ui_support import as_person, count, events_of_type, field_has_error


@pytest.fixture
def service_id(client: TestClient, people: dict[str, Person]) -> str:
    return make_service(client, people["manager"], "checkout")


def _add(client: TestClient, csrf: str, service_id: str, **fields: str) -> str:
    r = client.post(f"/services/{service_id}/integrations", data={"csrf_token": csrf, **fields},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    match = re.search(r"integration[s/-]+([0-9a-f-]{36})", r.headers["location"])
    assert match, r.headers["location"]
    return match.group(1)


def test_empty_sections(client: TestClient, people: dict[str, Person], service_id: str) -> None:
    as_person(client, people["manager"])
    page = client.get(f"/services/{service_id}").text
    assert "No integrations yet" in page
    assert "No maintenance now or scheduled" in page
    assert "None — all quiet" in page
    assert "Add integration" in page
    assert "Save alert handling" in page
    assert f'data-live-topics="service:{service_id}"' in page


def test_add_regenerate_and_revoke(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    am = _add(client, csrf, service_id, type="alertmanager", name="Prometheus EU")
    page = client.get(f"/services/{service_id}?saved=integration").text
    key = integration_row(db, am).key
    assert f'value="http://127.0.0.1:8000/ingest/alertmanager/{key}"' in page  # paste-ready
    assert "Prometheus EU" in page
    assert "The integration was added" in page
    mail = _add(client, csrf, service_id, type="email", resolve_words="FIXED, ok now")
    assert integration_row(db, mail).config["resolve_if_subject_contains"] == ["FIXED", "ok now"]
    assert (
        f"{integration_row(db, mail).key}@localhost" in client.get(f"/services/{service_id}").text
    )
    beat = _add(
        client, csrf, service_id, type="heartbeat", interval_seconds="120", grace_seconds="30"
    )
    assert integration_row(db, beat).config == {"interval_seconds": 120, "grace_seconds": 30}

    # A bad interval is named on its field, and nothing is added.
    r = client.post(f"/services/{service_id}/integrations",
                    data={"csrf_token": csrf, "type": "heartbeat", "interval_seconds": "5"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "i-interval_seconds")
    assert count(db, Integration) == 3

    r = client.post(f"/integrations/{am}/regenerate", data={"csrf_token": csrf, "back": "service"},
                    follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == f"/services/{service_id}?saved=key#integration-{am}"
    assert integration_row(db, am).key != key
    assert events_of_type(db, "integration.key_regenerated")

    r = client.post(f"/integrations/{am}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.headers["location"] == f"/integrations/{am}?saved=revoked"
    assert integration_row(db, am).revoked_at is not None
    page = client.get(f"/services/{service_id}").text
    assert "key revoked" in page
    assert "Reactivate with new key" in page

    # Responders see the URLs but no buttons; they may not change integrations.
    client.cookies.clear()
    csrf = as_person(client, people["responder"])
    page = client.get(f"/services/{service_id}").text
    assert "/regenerate" not in page
    assert "Add integration" not in page
    assert client.post(f"/integrations/{beat}/revoke", data={"csrf_token": csrf}).status_code == 403
    r = client.post(
        f"/services/{service_id}/integrations", data={"csrf_token": csrf, "type": "grafana"}
    )
    assert r.status_code == 403
    assert integration_row(db, beat).revoked_at is None
    assert client.get(f"/integrations/{beat}").status_code == 200


SAMPLE = {"incident": {"title": "Checkout 5xx", "level": "sev-a", "id": "inc-7"}, "state": "open"}


def _mapping_fields(**changes: str) -> dict[str, str]:
    fields = {"summary": "$.incident.title", "severity": "$.incident.level",
              "dedup_key": "$.incident.id", "action": "$.state", "status_map": "open = trigger\nclosed = resolve",
              "severity_map": "sev-a = critical", "default_action": "trigger", "default_severity": "warning"}  # fmt: skip
    return {**fields, **changes}


def test_generic_mapping_test_and_save(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    r = client.post(f"/services/{service_id}/integrations",
                    data={"csrf_token": csrf, "type": "generic", "name": "Status page"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    integration_id = r.headers["location"].split("/")[2].split("#")[0]
    assert r.headers["location"].endswith("#mapping")
    before = integration_row(db, integration_id).config
    page = client.get(f"/integrations/{integration_id}").text
    assert "Sample payload" in page
    assert 'name="summary"' in page

    def events() -> int:
        return count(db, Event)

    n = events()
    # Test: each field's value, and the alert it would make; nothing is saved.
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "test", "sample": json.dumps(SAMPLE), **_mapping_fields()})  # fmt: skip
    assert r.status_code == 200
    result = r.text.split('id="test-result"')[1]
    assert "nothing was saved" in result
    assert "<code>$.incident.title</code>" in result
    assert "Checkout 5xx" in result
    assert (
        '<span class="pill sev sev-critical">critical</span>' in result
    )  # through the severity map
    assert "inc-7" in result
    assert "trigger" in result
    assert integration_row(db, integration_id).config == before
    assert events() == n

    # A bad expression is an error on its own field; a sample that is not JSON is named.
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "test", "sample": "{}", **_mapping_fields(summary="incident.title")})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "map-summary")
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "test", "sample": "{not json", **_mapping_fields()})  # fmt: skip
    assert r.status_code == 200
    assert "The sample does not fit the mapping." in r.text
    # A sample that lacks a required value: the field shows nothing matched, and the error.
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "test", "sample": '{"state": "closed"}', **_mapping_fields()})  # fmt: skip
    assert "nothing matched" in r.text
    assert "The sample does not fit the mapping." in r.text
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "test", "sample": " ", **_mapping_fields()})  # fmt: skip
    assert field_has_error(r.text, "map-sample")
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "test", "sample": "{}", **_mapping_fields(status_map="open")})  # fmt: skip
    assert field_has_error(r.text, "map-status_map")
    assert integration_row(db, integration_id).config == before
    assert events() == n

    # Save: validated (errors per field, nothing stored), then stored.
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "save", **_mapping_fields(severity_map="sev-a = urgent")})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "map-severity_map")
    assert integration_row(db, integration_id).config == before
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "save", **_mapping_fields()}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    mapping = integration_row(db, integration_id).config["mapping"]
    assert mapping["summary"] == "$.incident.title"
    assert mapping["status_map"] == {"open": "trigger", "closed": "resolve"}
    assert events_of_type(db, "integration.updated")
    # The saved mapping reads the sample the same way at the real endpoint.
    key = integration_row(db, integration_id).key
    assert client.post(f"/ingest/generic/{key}", json=SAMPLE).status_code == 202
    assert 'value="$.incident.title"' not in client.get(f"/integrations/{integration_id}").text
    assert "$.incident.title</textarea>" in client.get(f"/integrations/{integration_id}").text

    client.cookies.clear()
    csrf = as_person(client, people["responder"])
    r = client.post(f"/integrations/{integration_id}/mapping",
                    data={"csrf_token": csrf, "op": "test", "sample": "{}", **_mapping_fields()})  # fmt: skip
    assert r.status_code == 403
    assert (
        '<fieldset class="mapping-grid" disabled>'
        in client.get(f"/integrations/{integration_id}").text
    )


def test_integration_settings(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    beat = _add(client, csrf, service_id, type="heartbeat")
    r = client.post(f"/integrations/{beat}/edit", data={"csrf_token": csrf, "name": "Nightly backup",
                    "rate_limit_per_minute": "60", "interval_seconds": "3600", "grace_seconds": "600"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    row = integration_row(db, beat)
    assert (row.name, row.rate_limit_per_minute) == ("Nightly backup", 60)
    assert row.config == {"interval_seconds": 3600, "grace_seconds": 600}
    r = client.post(f"/integrations/{beat}/edit", data={"csrf_token": csrf, "name": "",
                    "interval_seconds": "x"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "s-interval_seconds")


def test_maintenance_in_the_viewers_zone(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str
) -> None:
    with db.unit_of_work() as uow:
        do_update_user(uow, SYSTEM, people["responder"].id, UserUpdate(time_zone="Europe/Berlin"))
        uow.commit()
    csrf = as_person(client, people["responder"])
    page = client.get(f"/services/{service_id}").text
    assert 'value="2026-01-05T10:00"' in page  # now (09:00 UTC), in Berlin
    r = client.post(f"/services/{service_id}/maintenance-windows", data={"csrf_token": csrf,
                    "starts_at": "2026-01-05T14:00", "ends_at": "2026-01-05T16:30", "reason": "DB upgrade"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        window = uow.session.scalars(select(MaintenanceWindow)).one()
        uow.session.expunge(window)
    assert window.starts_at.astimezone(UTC) == datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    assert window.ends_at.astimezone(UTC) == datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
    page = client.get(f"/services/{service_id}").text
    assert "DB upgrade" in page
    assert "scheduled" in page
    assert "14:00 CET" in page

    # Ends before it starts: the error is on the end field, nothing is added.
    r = client.post(f"/services/{service_id}/maintenance-windows", data={"csrf_token": csrf,
                    "starts_at": "2026-01-05T14:00", "ends_at": "2026-01-05T13:00", "reason": "x"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "m-ends_at")
    r = client.post(f"/services/{service_id}/maintenance-windows", data={"csrf_token": csrf,
                    "starts_at": "soon", "ends_at": "2026-01-05T13:00", "reason": "x"})  # fmt: skip
    assert field_has_error(r.text, "m-starts_at")
    assert count(db, MaintenanceWindow) == 1

    r = client.post(f"/maintenance-windows/{window.id}/cancel", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == f"/services/{service_id}?saved=cancelled#maintenance"
    assert count(db, MaintenanceWindow, MaintenanceWindow.cancelled_at.is_not(None)) == 1
    assert "No maintenance now or scheduled" in client.get(f"/services/{service_id}").text

    client.cookies.clear()
    csrf = as_person(client, people["viewer"])
    assert "Schedule maintenance" not in client.get(f"/services/{service_id}").text
    r = client.post(f"/services/{service_id}/maintenance-windows", data={"csrf_token": csrf,
                    "starts_at": "2026-01-05T14:00", "ends_at": "2026-01-05T16:30", "reason": "x"})  # fmt: skip
    assert r.status_code == 403


def test_alert_handling(
    client: TestClient, db: Database, people: dict[str, Person], service_id: str
) -> None:
    csrf = as_person(client, people["manager"])
    r = client.post(f"/services/{service_id}/alert-settings", data={"csrf_token": csrf, "mode": "labels",
                    "labels": "", "window_minutes": "30", "flap_threshold": "4", "flap_window_minutes": "20"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "h-labels")
    r = client.post(f"/services/{service_id}/alert-settings", data={"csrf_token": csrf, "mode": "labels",
                    "labels": "cluster, alertname", "window_minutes": "30", "flap_threshold": "4",
                    "flap_window_minutes": "20"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        service = uow.session.get(Service, service_id)
        assert service is not None
        assert service.alert_grouping == {
            "mode": "labels",
            "labels": ["cluster", "alertname"],
            "window_minutes": 30,
        }
        assert (service.flap_threshold, service.flap_window_minutes) == (4, 20)
    page = client.get(f"/services/{service_id}").text
    assert 'value="cluster, alertname"' in page
    assert events_of_type(db, "service.alert_settings_changed")

    client.cookies.clear()
    csrf = as_person(client, people["responder"])
    page = client.get(f"/services/{service_id}").text
    assert "Same values of chosen labels: cluster, alertname, within 30 minutes" in page
    r = client.post(
        f"/services/{service_id}/alert-settings", data={"csrf_token": csrf, "mode": "none"}
    )
    assert r.status_code == 403
