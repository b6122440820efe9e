"""Real-shaped physical-security payloads (Frigate over MQTT, access-control webhooks)
and an integration at H1's test place (sites_support.build_place)."""

from __future__ import annotations

import json
from typing import Any

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.schemas import IntegrationCreate

T0 = 1795500000.0  # Unix seconds, 2026-11-24 ~03:20 UTC


def frigate_integration(
    db: Database, service_id: str, site_id: str, **config: Any
) -> tuple[str, str]:
    """A frigate integration on ``service_id`` placing new cameras at ``site_id``;
    returns (id, key)."""
    cfg = {"broker_url": "mqtt://127.0.0.1:1883", "site_id": site_id,
           "frigate_url": "http://frigate.local:5000", **config}  # fmt: skip
    with db.unit_of_work() as uow:
        integration = do_create_integration(uow, SYSTEM, service_id,
                                            IntegrationCreate(type="frigate", config=cfg))  # fmt: skip
        uow.commit()
        return integration.id, integration.key


def access_integration(db: Database, service_id: str, site_id: str, type: str = "access_control",
                       **config: Any) -> tuple[str, str]:  # fmt: skip
    cfg = {"site_id": site_id, "preset": "muster", **config}
    with db.unit_of_work() as uow:
        integration = do_create_integration(
            uow, SYSTEM, service_id, IntegrationCreate(type=type, config=cfg)
        )
        uow.commit()
        return integration.id, integration.key


def review(phase: str, review_id: str, camera: str, severity: str = "alert", *,
           detections: list[str] | None = None, objects: list[str] | None = None,
           sub_labels: list[str] | None = None, zones: list[str] | None = None,
           start: float = T0, end: float | None = None) -> bytes:  # fmt: skip
    """A ``frigate/reviews`` message."""
    after: dict[str, Any] = {
        "id": review_id, "camera": camera, "start_time": start, "end_time": end,
        "severity": severity,
        "thumb_path": f"/media/frigate/clips/review/thumb-{camera}-{review_id}.webp",
        "data": {"detections": detections or [], "objects": objects or ["person"],
                 "sub_labels": sub_labels or [], "zones": zones or [], "audio": []},
    }  # fmt: skip
    before = {**after, "severity": "detection", "data": {**after["data"], "sub_labels": []}}
    return json.dumps({"type": phase, "before": before, "after": after}).encode()


def tracked(phase: str, event_id: str, camera: str, label: str = "person", *,
            zones: list[str] | None = None, sub_label: Any = None, plate: str | None = None,
            start: float = T0, end: float | None = None, false_positive: bool = False) -> bytes:  # fmt: skip
    """A ``frigate/events`` message."""
    after: dict[str, Any] = {
        "id": event_id, "camera": camera, "frame_time": start + 1.5,
        "snapshot": {"frame_time": start + 1.2, "box": [415, 489, 528, 700], "area": 12728,
                     "region": [260, 446, 660, 846], "score": 0.77, "attributes": []},
        "label": label, "sub_label": sub_label, "top_score": 0.958, "false_positive": false_positive,
        "start_time": start, "end_time": end, "score": 0.87, "box": [424, 500, 536, 712],
        "area": 23744, "ratio": 2.11, "region": [264, 450, 667, 853],
        "current_zones": zones or [], "entered_zones": zones or [], "thumbnail": None,
        "has_snapshot": True, "has_clip": True, "active": True, "stationary": False,
        "motionless_count": 0, "position_changes": 1, "attributes": {},
    }  # fmt: skip
    if plate is not None:
        after["recognized_license_plate"] = plate
        after["recognized_license_plate_score"] = 0.93
    return json.dumps(
        {"type": phase, "before": {**after, "current_zones": []}, "after": after}
    ).encode()


def verkada_event(kind: str, door_id: str, *, event_id: str, user: str | None = None,
                  created: int = int(T0), door_name: str = "Server room door") -> dict[str, Any]:  # fmt: skip
    """A Verkada-shaped access-control notification webhook."""
    data: dict[str, Any] = {
        "notification_type": kind, "device_id": "ac41-controller-0192", "created": created,
        "input_value": "26-48213" if user else None, "door_id": door_id, "event_id": event_id,
        "device_type": "access_control", "direction": "Inbound",
        "door_info": {"name": door_name, "door_id": door_id},
    }  # fmt: skip
    if user:
        data["user_info"] = {"user_id": "u-9f1", "name": user, "email": "a.b@example.com",
                             "first_name": user.split()[0], "last_name": user.split()[-1]}  # fmt: skip
    return {"webhook_type": "notification", "webhook_id": "wh-31a7", "org_id": "org-77",
            "created_at": created + 1, "data": data}  # fmt: skip


def unifi_event(event: str, door_id: str, *, event_object_id: str, result: str | None = None,
                actor: str | None = None, door_name: str = "Server room door") -> dict[str, Any]:  # fmt: skip
    """A UniFi Access-shaped webhook."""
    data: dict[str, Any] = {
        "location": {"id": door_id, "name": door_name, "location_type": "door"},
        "device": {"id": "f4e2c6a1b2c3", "name": "UA-G2-Pro Server room", "device_type": "UA-G2-PRO"},
    }  # fmt: skip
    if actor:
        data["actor"] = {"id": "a-4411", "display_name": actor, "type": "user"}
    if result:
        data["object"] = {"authentication_type": "NFC", "authentication_value": "",
                          "result": result, "event_object_id": event_object_id}  # fmt: skip
    return {"event": event, "event_object_id": event_object_id, "data": data}
