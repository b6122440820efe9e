"""Access-control webhooks: each preset with real-shaped payloads, alerts at the door,
health, duplicates, and bad input refused without changing anything."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import Person
from muster.db.uow import Database
from muster.domain.alerts.models import Alert
from muster.domain.sites.models import Device, SiteEvent
from physical_support import access_integration, unifi_event, verkada_event
from sites_support import Place, build_place


@pytest.fixture
def place(db: Database) -> Place:
    return build_place(db)


def post(client: TestClient, key: str, body: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/ingest/access-control/{key}", content=raw,
                       headers={"content-type": "application/json"})  # fmt: skip


def counts(db: Database) -> tuple[int, int]:
    with db.unit_of_work(readonly=True) as uow:
        return (uow.session.scalar(select(func.count()).select_from(SiteEvent)) or 0,
                uow.session.scalar(select(func.count()).select_from(Alert)) or 0)  # fmt: skip


def test_verkada_forced_door_is_a_site_event_and_an_alert_at_the_door(
    client: TestClient, db: Database, place: Place
) -> None:
    _, key = access_integration(db, place.physical, place.hq, preset="verkada")
    r = post(client, key, verkada_event("door_forced_open", "door-7", event_id="ev-100"))
    assert r.status_code == 202, r.text
    assert r.json()["recorded"] == 1
    assert r.json()["alerts"] == 1
    with db.unit_of_work(readonly=True) as uow:
        event = uow.session.scalars(select(SiteEvent)).one()
        alert = uow.session.get_one(Alert, event.alert_id)
    assert (event.kind, event.device_id, event.zone_id) == (
        "door_forced_open",
        place.door,
        place.server_room,
    )
    assert (alert.site_id, alert.zone_id, alert.severity) == (place.hq, place.server_room, "error")
    assert alert.summary == "Door forced open: Server room door"


def test_granted_access_is_only_a_site_event_with_the_badge_holder(
    client: TestClient, db: Database, place: Place
) -> None:
    _, key = access_integration(db, place.physical, place.hq, preset="verkada")
    r = post(
        client,
        key,
        verkada_event("door_access_granted", "door-1", event_id="ev-1", user="Alice Jones"),
    )
    assert r.status_code == 202
    assert r.json()["alerts"] == 0
    with db.unit_of_work(readonly=True) as uow:
        event = uow.session.scalars(select(SiteEvent)).one()
    assert (event.identity, event.identity_kind, event.device_id) == (
        "Alice Jones",
        "badge",
        place.lobby_reader,
    )
    assert counts(db) == (1, 0)


def test_unifi_preset_denied_and_forced(client: TestClient, db: Database, place: Place) -> None:
    _, key = access_integration(db, place.physical, place.hq, preset="unifi_access",
                                alert_kinds={"access_denied": "warning"})  # fmt: skip
    denied = post(client, key, unifi_event("access.door.unlock", "door-7", event_object_id="o-1",
                                           result="BLOCKED", actor="Eve Stone"))  # fmt: skip
    forced = post(
        client, key, unifi_event("access.door.forced_open", "door-7", event_object_id="o-2")
    )
    bell = post(
        client, key, unifi_event("access.doorbell.incoming", "door-7", event_object_id="o-3")
    )
    assert denied.status_code == forced.status_code == bell.status_code == 202
    assert bell.json()["skipped"] == 1
    with db.unit_of_work(readonly=True) as uow:
        kinds = sorted(uow.session.scalars(select(SiteEvent.kind)))
        severities = sorted(uow.session.scalars(select(Alert.severity)))
    assert kinds == ["access_denied", "door_forced_open"]
    assert severities == ["error", "warning"]


def test_a_redelivered_event_changes_nothing(
    client: TestClient, db: Database, place: Place
) -> None:
    _, key = access_integration(db, place.physical, place.hq, preset="verkada")
    body = verkada_event("door_held_open", "door-7", event_id="ev-7")
    assert post(client, key, body).json()["recorded"] == 1
    again = post(client, key, body)
    assert again.status_code == 202
    assert again.json()["duplicate"] == 1
    assert counts(db) == (1, 1)


def test_repeated_forced_door_counts_on_the_open_alert(
    client: TestClient, db: Database, place: Place
) -> None:
    _, key = access_integration(db, place.physical, place.hq, preset="muster")
    for n in range(3):
        post(client, key, {"kind": "door_forced_open", "door": "door-7", "event_id": f"f{n}"})
    with db.unit_of_work(readonly=True) as uow:
        alert = uow.session.scalars(select(Alert)).one()
        linked = set(uow.session.scalars(select(SiteEvent.alert_id)))
    assert alert.occurrences == 3
    assert linked == {alert.id}


def test_controller_offline_and_back_drive_health_and_resolve(client: TestClient, db: Database,
                                                              place: Place) -> None:  # fmt: skip
    _, key = access_integration(db, place.physical, place.hq)
    post(
        client,
        key,
        {"kind": "controller_offline", "door": "door-7", "time": "2026-11-24T02:00:00Z"},
    )
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Device, place.door).online is False
        assert uow.session.scalars(select(Alert.status)).one() == "triggered"
    post(
        client, key, {"kind": "controller_online", "door": "door-7", "time": "2026-11-24T02:05:00Z"}
    )
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Device, place.door).online is True
        assert uow.session.scalars(select(Alert.status)).one() == "resolved"


def test_unknown_door_becomes_a_device_at_the_integrations_site(client: TestClient, db: Database,
                                                                place: Place) -> None:  # fmt: skip
    _, key = access_integration(db, place.physical, place.depot)
    post(client, key, {"kind": "tamper", "door": "gate-3", "door_name": "Yard gate"})
    with db.unit_of_work(readonly=True) as uow:
        device = uow.session.scalars(select(Device).where(Device.external_id == "gate-3")).one()
        alert = uow.session.scalars(select(Alert)).one()
    assert (device.site_id, device.zone_id, device.name) == (place.depot, None, "Yard gate")
    assert (alert.site_id, alert.zone_id) == (place.depot, None)


@pytest.mark.parametrize(("body", "field"), [
    (b"{not json", "body"),
    (b'{"kind": "door_forced_open"}', "body.door"),
    (b'{"door": "door-7"}', "body.kind"),
    (b'{"kind": "tamper", "door": "door-7", "time": "last tuesday"}', "body.timestamp"),
])  # fmt: skip
def test_bad_payloads_get_400_naming_the_field(client: TestClient, db: Database, place: Place,
                                               body: bytes, field: str) -> None:  # fmt: skip
    _, key = access_integration(db, place.physical, place.hq)
    r = post(client, key, body)
    assert r.status_code == 400, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert counts(db) == (0, 0)


def test_oversized_unknown_and_wrong_type_keys_are_refused(client: TestClient, db: Database,
                                                           place: Place) -> None:  # fmt: skip
    _, key = access_integration(db, place.physical, place.hq)
    _, mqtt_key = access_integration(db, place.physical, place.hq, type="access_control_mqtt",
                                     broker_url="mqtt://127.0.0.1:1883")  # fmt: skip
    assert (
        post(client, key, b'{"kind": "tamper", "door": "' + b"x" * 600_000 + b'"}').status_code
        == 413
    )
    assert post(client, "0" * 32, {"kind": "tamper", "door": "d"}).status_code == 404
    assert post(client, mqtt_key, {"kind": "tamper", "door": "d"}).status_code == 404
    assert counts(db) == (0, 0)


def test_integration_config_is_checked(
    client: TestClient, people: dict[str, Person], place: Place
) -> None:
    auth = people["manager"].auth
    url = f"/api/v1/services/{place.physical}/integrations"
    cases = [
        ({"type": "access_control", "config": {"preset": "verkada"}}, "config.site_id"),
        ({"type": "access_control", "config": {"site_id": "nope", "preset": "verkada"}}, "config.site_id"),
        ({"type": "access_control", "config": {"site_id": place.hq}}, "config.preset"),
        ({"type": "frigate", "config": {"site_id": place.hq, "broker_url": "http://x"}}, "config.broker_url"),
        ({"type": "frigate", "config": {"site_id": place.hq, "broker_url": "mqtt://u:p@h"}}, "config.broker_url"),
        ({"type": "frigate", "config": {"site_id": place.hq, "broker_url": "mqtt://h", "password": "pw"}},
         "config.password"),
        ({"type": "frigate", "config": {"site_id": place.hq, "broker_url": "mqtt://h", "topic_prefix": "a/#"}},
         "config.topic_prefix"),
    ]  # fmt: skip
    for body, field in cases:
        r = client.post(url, json=body, headers=auth)
        assert r.status_code in (400, 422), (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (body, r.text)
    ok = client.post(url, json={"type": "frigate", "config": {
        "site_id": place.hq, "broker_url": "mqtt://broker:1883", "username": "muster",
        "password_secret": "FRIGATE_MQTT"}}, headers=auth)  # fmt: skip
    assert ok.status_code == 201, ok.text
    assert "password" not in json.dumps(ok.json()["config"]).replace("password_secret", "")
    assert ok.json()["url"] == "mqtt://broker:1883 frigate/..."
