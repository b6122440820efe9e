"""Frigate's MQTT messages and access-control payloads, parsed (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from muster.errors import InvalidInput, TooLarge
from muster.integrations.access_control import (
    AccessMapping,
    mapping_from_config,
    parse_access_events,
)
from muster.integrations.access_control_presets import PRESETS
from muster.integrations.frigate import (
    Availability,
    CameraStatus,
    Review,
    TrackedObject,
    parse_frigate,
)
from physical_support import T0, review, tracked, unifi_event, verkada_event


def test_review_is_read_with_its_objects_zones_and_identities() -> None:
    message = parse_frigate("frigate", "frigate/reviews", review(
        "update", "1718987129.308396-fqk5ka", "front_cam", detections=["a", "b", "a"],
        objects=["person", "car"], sub_labels=["Bob"], zones=["front_yard"]))  # fmt: skip
    assert isinstance(message, Review)
    assert message.phase == "update"
    assert message.severity == "alert"
    assert message.detections == ("a", "b")  # repeated ids once
    assert message.objects == ("person", "car")
    assert message.sub_labels == ("Bob",)
    assert message.started_at == datetime.fromtimestamp(T0, UTC)
    assert message.ended_at is None
    assert message.identity_kind is None  # people and cars: a sub-label could be either


def test_review_identity_kind_follows_the_objects() -> None:
    faces = parse_frigate("frigate", "frigate/reviews", review("new", "r", "c", sub_labels=["Ann"]))
    plates = parse_frigate("frigate", "frigate/reviews", review("new", "r", "c", objects=["car"],
                                                                 sub_labels=["ABC123"]))  # fmt: skip
    assert isinstance(faces, Review)
    assert faces.identity_kind == "face"
    assert isinstance(plates, Review)
    assert plates.identity_kind == "plate"


def test_tracked_object_with_sub_label_pair_and_plate() -> None:
    face = parse_frigate("frigate", "frigate/events", tracked("update", "e1", "door_cam",
                                                              sub_label=["John Smith", 0.79]))  # fmt: skip
    assert isinstance(face, TrackedObject)
    assert face.identity == ("John Smith", "face")
    car = parse_frigate("frigate", "frigate/events", tracked("new", "e2", "gate", label="car",
                                                             plate="ABC12345"))  # fmt: skip
    assert isinstance(car, TrackedObject)
    assert car.identity == ("ABC12345", "plate")
    old = parse_frigate("frigate", "frigate/events", tracked("new", "e3", "gate", sub_label="Ann"))
    assert isinstance(old, TrackedObject)
    assert old.identity == ("Ann", "face")


def test_availability_and_camera_status_under_a_custom_prefix() -> None:
    assert parse_frigate("nvr/site1", "nvr/site1/available", b"offline") == Availability(
        online=False
    )
    assert parse_frigate("nvr/site1", "nvr/site1/door_cam/status/detect", b"online") == CameraStatus(
        camera="door_cam", role="detect", status="online")  # fmt: skip


def test_topics_muster_does_not_use_are_none() -> None:
    assert parse_frigate("frigate", "frigate/door_cam/person", b"1") is None
    assert parse_frigate("frigate", "frigate/stats", b"{}") is None
    assert parse_frigate("frigate", "other/reviews", b"{}") is None


@pytest.mark.parametrize(("topic", "payload", "field"), [
    ("frigate/reviews", b"{not json", "body"),
    ("frigate/reviews", b'{"type": "moved", "after": {}}', "type"),
    ("frigate/reviews", json.dumps({"type": "new", "after": {"id": "r", "camera": "c", "start_time": 1,
                                    "severity": "alert"}}).encode(), "after.data"),
    ("frigate/reviews", json.dumps({"type": "new", "after": {"id": "r", "camera": "c", "start_time": 1,
                                    "severity": "urgent", "data": {}}}).encode(), "after.severity"),
    ("frigate/events", json.dumps({"type": "new", "after": {"id": "e", "camera": "c", "label": "person",
                                   "start_time": "yesterday"}}).encode(), "after.start_time"),
    ("frigate/events", json.dumps({"type": "new", "after": {"camera": "c"}}).encode(), "after.id"),
    ("frigate/available", b"maybe", "payload"),
    ("frigate/cam/status/detect", b"sleeping", "payload"),
])  # fmt: skip
def test_malformed_messages_name_the_field(topic: str, payload: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_frigate("frigate", topic, payload)
    assert [e.field for e in caught.value.errors] == [field]


def test_oversized_frigate_payload_is_refused() -> None:
    big = json.dumps({"type": "new", "after": {"pad": "x" * 300_000}}).encode()
    with pytest.raises(TooLarge):
        parse_frigate("frigate", "frigate/events", big)


def test_verkada_preset_maps_kinds_identity_and_time() -> None:
    mapping = mapping_from_config({"preset": "verkada"})
    batch = parse_access_events(json.dumps(verkada_event(
        "door_forced_open", "door-7", event_id="ev-1")).encode(), mapping)  # fmt: skip
    [event] = batch.events
    assert (event.kind, event.door, event.door_name, event.event_id) == (
        "door_forced_open", "door-7", "Server room door", "ev-1")  # fmt: skip
    assert event.occurred_at == datetime.fromtimestamp(int(T0), UTC)
    granted = parse_access_events(verkada_event("door_access_granted", "door-7", event_id="ev-2",
                                                user="Alice Jones"), mapping).events[0]  # fmt: skip
    assert (granted.kind, granted.identity, granted.credential) == (
        "access_granted",
        "Alice Jones",
        "26-48213",
    )


def test_unifi_preset_reads_the_result_of_an_unlock_and_named_events() -> None:
    mapping = mapping_from_config({"preset": "unifi_access"})
    denied = parse_access_events(unifi_event("access.door.unlock", "door-7", event_object_id="o1",
                                             result="BLOCKED", actor="Eve Stone"), mapping)  # fmt: skip
    assert [(e.kind, e.identity) for e in denied.events] == [("access_denied", "Eve Stone")]
    forced = parse_access_events(unifi_event("access.door.forced_open", "door-7", event_object_id="o2"),
                                 mapping)  # fmt: skip
    assert [e.kind for e in forced.events] == ["door_forced_open"]


def test_vendor_kinds_without_meaning_are_skipped_and_counted() -> None:
    batch = parse_access_events(unifi_event("access.doorbell.incoming", "door-7", event_object_id="o3"),
                                mapping_from_config({"preset": "unifi_access"}))  # fmt: skip
    assert batch.events == []
    assert batch.skipped == ["access.doorbell.incoming"]


def test_generic_mapping_with_items_and_kind_map() -> None:
    mapping = AccessMapping.from_dict({
        "items": "$.events", "kind": "@.type", "door": "@.reader.id", "identity": "@.cardholder",
        "timestamp": "@.at", "kind_map": {"DOOR_FORCED": "door_forced_open", "GRANTED": "access_granted"},
    })  # fmt: skip
    body = {"events": [
        {"type": "door_forced", "reader": {"id": "r1"}, "at": "2026-11-24T03:00:00Z"},
        {"type": "GRANTED", "reader": {"id": "r2"}, "cardholder": "Bo", "at": 1795500000000},
    ]}  # fmt: skip
    events = parse_access_events(json.dumps(body).encode(), mapping).events
    assert [(e.kind, e.door, e.identity) for e in events] == [
        ("door_forced_open", "r1", None), ("access_granted", "r2", "Bo")]  # fmt: skip
    assert events[1].occurred_at == datetime.fromtimestamp(1795500000, UTC)


def test_bad_mappings_name_each_problem() -> None:
    with pytest.raises(InvalidInput) as caught:
        AccessMapping.from_dict(
            {"kind": "title", "kind_map": {"x": "door_exploded"}, "colour": "$.c"}
        )
    fields = sorted(e.field for e in caught.value.errors)
    assert fields == ["mapping.colour", "mapping.door", "mapping.kind", "mapping.kind_map.x"]
    with pytest.raises(InvalidInput, match="unknown preset"):
        mapping_from_config({"preset": "acme"})


def test_event_without_door_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_access_events(b'{"kind": "tamper"}', mapping_from_config({"preset": "muster"}))
    assert [e.field for e in caught.value.errors] == ["body.door"]


def test_every_preset_is_a_valid_mapping() -> None:
    for preset in PRESETS.values():
        AccessMapping.from_dict(preset)
