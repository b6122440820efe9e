"""Frigate messages applied: alerts from reviews, the per-object trail, camera health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, Integration
from muster.domain.physical.frigate import do_frigate_message
from muster.domain.sites.models import Device, SiteEvent
from muster.errors import InvalidInput
from muster.integrations.frigate import parse_frigate
from physical_support import frigate_integration, review, tracked
from sites_support import Place, build_place


@pytest.fixture
def place(db: Database) -> Place:
    return build_place(db)


@pytest.fixture
def frigate(db: Database, place: Place) -> str:
    return frigate_integration(db, place.physical, place.hq)[0]


def send(db: Database, integration_id: str, topic: str, payload: bytes) -> str:
    with db.unit_of_work() as uow:
        integration = uow.session.get_one(Integration, integration_id)
        message = parse_frigate("frigate", topic, payload)
        assert message is not None
        result = do_frigate_message(uow, integration, message)
        uow.commit()
        return result


def alerts(db: Database) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).where(Alert.dedup_key.like("frigate:%"))))


def site_events(db: Database) -> list[SiteEvent]:
    with db.unit_of_work(readonly=True) as uow:
        return list(
            uow.session.scalars(select(SiteEvent).order_by(SiteEvent.received_at, SiteEvent.kind))
        )


def test_alert_review_opens_one_alert_at_the_cameras_zone(
    db: Database, place: Place, frigate: str
) -> None:
    msg = review("new", "r1", "cam_server", detections=["e1"], objects=["person"],
                 sub_labels=["Mallory"], zones=["rack_row"])  # fmt: skip
    assert send(db, frigate, "frigate/reviews", msg) == "created"
    assert send(db, frigate, "frigate/reviews", msg) == "deduplicated"  # redelivered at QoS 1
    [alert] = alerts(db)
    assert (alert.site_id, alert.zone_id) == (place.hq, place.server_room)
    assert alert.labels["camera"] == "cam_server"
    assert alert.labels["sub_labels"] == "Mallory"
    assert alert.labels["zones"] == "rack_row"
    assert alert.severity == "error"
    hrefs = [link["href"] for link in alert.links]
    assert hrefs == ["http://frigate.local:5000/api/events/e1/snapshot.jpg",
                     "http://frigate.local:5000/api/events/e1/clip.mp4"]  # fmt: skip
    [event] = site_events(db)
    assert (event.kind, event.identity, event.identity_kind) == (
        "detected:person",
        "Mallory",
        "face",
    )
    assert (event.alert_id, event.zone_id, event.device_id) == (
        alert.id,
        place.server_room,
        place.camera,
    )


def test_detection_review_raises_nothing_until_it_becomes_an_alert(
    db: Database, place: Place, frigate: str
) -> None:
    assert send(db, frigate, "frigate/reviews", review("new", "r2", "cam_server", "detection",
                                                        detections=["e1"])) == "detection"  # fmt: skip
    assert alerts(db) == []
    send(db, frigate, "frigate/reviews", review("update", "r2", "cam_server", detections=["e1", "e2"],
                                                objects=["person", "car"]))  # fmt: skip
    [alert] = alerts(db)
    assert alert.labels["objects"] == "person,car"
    assert sorted(e.kind for e in site_events(db)) == ["detected:car", "detected:person"]


def test_update_widens_the_alert_and_adds_new_identities_once(
    db: Database, place: Place, frigate: str
) -> None:
    send(db, frigate, "frigate/reviews", review("new", "r3", "cam_server", detections=["e1"]))
    update = review("update", "r3", "cam_server", detections=["e1", "e2"], sub_labels=["Bob"],
                    zones=["aisle"])  # fmt: skip
    send(db, frigate, "frigate/reviews", update)
    send(db, frigate, "frigate/reviews", update)
    [alert] = alerts(db)
    assert alert.labels["sub_labels"] == "Bob"
    assert alert.labels["zones"] == "aisle"
    assert len(alert.links) == 4
    assert alert.custom_details["detections"] == ["e1", "e2"]
    assert [(e.kind, e.identity) for e in site_events(db)] == [("detected:person", None),
                                                               ("detected:person", "Bob")]  # fmt: skip


def test_review_end_keeps_the_alert_open_unless_configured(db: Database, place: Place) -> None:
    keep, _ = frigate_integration(db, place.physical, place.hq)
    send(db, keep, "frigate/reviews", review("new", "r4", "cam_server"))
    send(db, keep, "frigate/reviews", review("end", "r4", "cam_server", end=1795500030.0))
    [alert] = alerts(db)
    assert alert.status == "triggered"
    assert alert.custom_details["ended_at"].startswith("2026-11-")
    resolving, _ = frigate_integration(db, place.physical, place.hq, resolve_on_end=True,
                                       topic_prefix="frigate2")  # fmt: skip
    send(db, resolving, "frigate/reviews", review("new", "r5", "cam_server"))
    assert (
        send(db, resolving, "frigate/reviews", review("end", "r5", "cam_server", end=1.7955e9))
        == "resolved"
    )


def test_object_trail_links_to_the_review_alert_whenever_it_comes(db: Database, place: Place, frigate: str,
                                                                  clock: ManualClock) -> None:  # fmt: skip
    # The object is seen before its review becomes an alert.
    assert send(db, frigate, "frigate/events", tracked("new", "e9", "cam_server")) == "observed"
    assert send(db, frigate, "frigate/events", tracked("update", "e9", "cam_server")) == "unchanged"
    clock.advance(timedelta(seconds=5))
    assert send(db, frigate, "frigate/events", tracked("update", "e9", "cam_server",
                                                       zones=["Server room"])) == "observed"  # fmt: skip
    send(db, frigate, "frigate/reviews", review("new", "r6", "cam_server", detections=["e9"]))
    [alert] = alerts(db)
    trail = [e for e in site_events(db) if e.data.get("source") == "frigate_event"]
    assert len(trail) == 2
    assert {e.alert_id for e in trail} == {alert.id}
    assert trail[1].zone_id == place.server_room  # a Frigate zone named like the site's zone
    clock.advance(timedelta(seconds=5))
    send(db, frigate, "frigate/events", tracked("update", "e9", "cam_server", sub_label=["Eve", 0.9],
                                                zones=["Server room"]))  # fmt: skip
    last = site_events(db)[-1]
    assert (last.identity, last.identity_kind, last.alert_id) == ("Eve", "face", alert.id)


def test_false_positives_are_ignored(db: Database, place: Place, frigate: str) -> None:
    assert send(db, frigate, "frigate/events", tracked("new", "fp", "cam_server", false_positive=True)) == (
        "false_positive")  # fmt: skip
    assert site_events(db) == []


def test_unknown_camera_becomes_a_device_at_the_integrations_site(
    db: Database, place: Place, frigate: str
) -> None:
    send(
        db,
        frigate,
        "frigate/events",
        tracked("new", "e1", "loading_dock", label="car", plate="KA-MU 42"),
    )
    with db.unit_of_work(readonly=True) as uow:
        device = uow.session.scalars(
            select(Device).where(Device.external_id == "loading_dock")
        ).one()
    assert (device.site_id, device.zone_id, device.kind) == (place.hq, None, "camera")
    [event] = site_events(db)
    assert (event.identity, event.identity_kind, event.device_id) == (
        "KA-MU 42",
        "plate",
        device.id,
    )


def test_availability_and_camera_status_drive_health(db: Database, place: Place, frigate: str,
                                                     clock: ManualClock) -> None:  # fmt: skip
    def online() -> Any:
        with db.unit_of_work(readonly=True) as uow:
            return uow.session.get_one(Device, place.camera).online

    send(db, frigate, "frigate/cam_server/status/detect", b"online")
    assert online() is True
    clock.advance(timedelta(seconds=1))
    send(db, frigate, "frigate/available", b"offline")
    assert online() is False
    clock.advance(timedelta(seconds=1))
    send(db, frigate, "frigate/available", b"online")
    assert online() is True
    clock.advance(timedelta(seconds=1))
    assert send(db, frigate, "frigate/cam_server/status/record", b"offline") == "ignored"
    assert send(db, frigate, "frigate/cam_server/status/detect", b"offline") == "offline"
    assert online() is False


def test_malformed_message_changes_nothing(db: Database, place: Place, frigate: str) -> None:
    with pytest.raises(InvalidInput):
        send(db, frigate, "frigate/reviews", b'{"type": "new", "after": {"id": "x"}}')
    assert alerts(db) == []
    assert site_events(db) == []
