"""Frigate NVR's MQTT messages, parsed (nothing stored here).

Frigate publishes under a topic prefix (``frigate`` by default):

* ``<prefix>/reviews``: a review item (an activity on one camera) as a change feed,
  ``{"type": "new"|"update"|"end", "before": {...}, "after": {...}}``; ``after`` has
  ``id`` (the review id), ``camera``, ``start_time``/``end_time`` (Unix seconds),
  ``severity`` (``alert`` or ``detection``; a review can be raised from detection to
  alert by an update) and ``data`` with ``detections`` (tracked-object ids),
  ``objects`` (labels), ``sub_labels`` (recognised names: faces, known plates),
  ``zones`` and ``audio``.
* ``<prefix>/events``: a tracked object, the same change feed shape; ``after`` has
  ``id``, ``camera``, ``label``, ``sub_label`` (``null``, a name, or ``[name, score]``),
  ``current_zones``/``entered_zones``, ``start_time``/``end_time``, ``top_score``,
  ``false_positive``, ``has_snapshot``/``has_clip`` and, for vehicles,
  ``recognized_license_plate``.
* ``<prefix>/available``: ``online`` / ``offline`` (Frigate itself; ``online`` is
  published again on every reconnection to the broker).
* ``<prefix>/<camera>/status/<role>``: ``online`` / ``offline`` / ``disabled`` for the
  camera's ``detect``, ``record`` and ``audio`` processes.

:func:`parse_frigate` turns one message into a :class:`Review`, :class:`TrackedObject`,
:class:`Availability` or :class:`CameraStatus`; ``None`` for topics Muster does not use;
:class:`~muster.errors.InvalidInput` naming the field for a malformed payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from muster.errors import FieldError, InvalidInput
from muster.integrations.normalized import JsonObject, JsonValue, decode_json

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_NAME = 255
MAX_ITEMS = 200
Phase = Literal["new", "update", "end"]
PHASES: tuple[Phase, ...] = ("new", "update", "end")
STATUSES = ("online", "offline", "disabled")
VEHICLES = frozenset({"car", "motorcycle", "bus", "truck", "bicycle", "boat", "license_plate"})


@dataclass(frozen=True, slots=True)
class Review:
    phase: Phase
    review_id: str
    camera: str
    severity: str  # "alert" | "detection"
    started_at: datetime
    ended_at: datetime | None
    detections: tuple[str, ...]
    objects: tuple[str, ...]
    sub_labels: tuple[str, ...]
    zones: tuple[str, ...]
    audio: tuple[str, ...]
    raw: JsonObject

    @property
    def identity_kind(self) -> str | None:
        """What the sub-labels name: faces when only people were seen, plates when only
        vehicles, else unknown."""
        if not self.sub_labels:
            return None
        people = "person" in self.objects
        vehicles = any(label in VEHICLES for label in self.objects)
        if people and not vehicles:
            return "face"
        if vehicles and not people:
            return "plate"
        return None


@dataclass(frozen=True, slots=True)
class TrackedObject:
    phase: Phase
    event_id: str
    camera: str
    label: str
    sub_label: str | None
    plate: str | None
    current_zones: tuple[str, ...]
    entered_zones: tuple[str, ...]
    started_at: datetime
    ended_at: datetime | None
    top_score: float | None
    false_positive: bool
    has_snapshot: bool
    has_clip: bool

    @property
    def identity(self) -> tuple[str, str] | None:
        """(who or what was recognised, ``face`` / ``plate``), if anything was."""
        if self.plate:
            return self.plate, "plate"
        if self.sub_label:
            return self.sub_label, "plate" if self.label in VEHICLES else "face"
        return None


@dataclass(frozen=True, slots=True)
class Availability:
    online: bool


@dataclass(frozen=True, slots=True)
class CameraStatus:
    camera: str
    role: str
    status: str  # online | offline | disabled


FrigateMessage = Review | TrackedObject | Availability | CameraStatus


def subscriptions(prefix: str) -> list[str]:
    """The topic filters to subscribe to (never ``#``: Frigate also publishes JPEG
    snapshots and counters under the prefix)."""
    return [f"{prefix}/reviews", f"{prefix}/events", f"{prefix}/available",
            f"{prefix}/+/status/+"]  # fmt: skip


def parse_frigate(prefix: str, topic: str, payload: bytes) -> FrigateMessage | None:
    """One message; ``None`` when the topic is not one Muster uses."""
    if not topic.startswith(prefix + "/"):
        return None
    rest = topic[len(prefix) + 1 :].split("/")
    if rest == ["available"]:
        return _availability(payload)
    if rest == ["reviews"]:
        return _review(_change_feed(payload))
    if rest == ["events"]:
        return _tracked_object(_change_feed(payload))
    if len(rest) == 3 and rest[1] == "status":
        status = payload.decode("utf-8", "replace").strip().lower()
        if status not in STATUSES:
            raise _bad("payload", "online, offline or disabled")
        return CameraStatus(camera=_clip(rest[0]), role=_clip(rest[2]), status=status)
    return None


def _availability(payload: bytes) -> Availability:
    word = payload.decode("utf-8", "replace").strip().lower()
    if word not in ("online", "offline"):
        raise _bad("payload", "online or offline")
    return Availability(online=word == "online")


def _bad(field: str, reason: str) -> InvalidInput:
    return InvalidInput(
        f"bad Frigate message: {field}: {reason}", errors=[FieldError(field, reason)]
    )


def _change_feed(payload: bytes) -> tuple[Phase, JsonObject]:
    doc = decode_json(payload, max_bytes=MAX_PAYLOAD_BYTES)
    if not isinstance(doc, dict):
        raise _bad("body", "a JSON object")
    phase = doc.get("type")
    if phase not in PHASES:
        raise _bad("type", "new, update or end")
    after = doc.get("after")
    if not isinstance(after, dict):
        raise _bad("after", "an object")
    return phase, after


def _review(feed: tuple[Phase, JsonObject]) -> Review:
    phase, after = feed
    data = after.get("data")
    if not isinstance(data, dict):
        raise _bad("after.data", "an object")
    severity = _text(after, "severity", "after.severity")
    if severity not in ("alert", "detection"):
        raise _bad("after.severity", "alert or detection")
    return Review(
        phase=phase, review_id=_text(after, "id", "after.id"),
        camera=_text(after, "camera", "after.camera"), severity=severity,
        started_at=_time(after.get("start_time"), "after.start_time"),
        ended_at=_optional_time(after.get("end_time"), "after.end_time"),
        detections=_names(data, "detections"), objects=_names(data, "objects"),
        sub_labels=_names(data, "sub_labels"), zones=_names(data, "zones"),
        audio=_names(data, "audio"), raw=after,
    )  # fmt: skip


def _tracked_object(feed: tuple[Phase, JsonObject]) -> TrackedObject:
    phase, after = feed
    score = after.get("top_score")
    plate = after.get("recognized_license_plate")
    return TrackedObject(
        phase=phase, event_id=_text(after, "id", "after.id"),
        camera=_text(after, "camera", "after.camera"), label=_text(after, "label", "after.label"),
        sub_label=_sub_label(after.get("sub_label")),
        plate=_clip(plate) if isinstance(plate, str) and plate.strip() else None,
        current_zones=_names(after, "current_zones", "after."),
        entered_zones=_names(after, "entered_zones", "after."),
        started_at=_time(after.get("start_time"), "after.start_time"),
        ended_at=_optional_time(after.get("end_time"), "after.end_time"),
        top_score=float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None,
        false_positive=after.get("false_positive") is True,
        has_snapshot=after.get("has_snapshot") is True, has_clip=after.get("has_clip") is True,
    )  # fmt: skip


def _sub_label(value: JsonValue) -> str | None:
    """``null``, ``"name"`` or ``["name", score]`` (newer Frigate)."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, str) and value.strip():
        return _clip(value)
    return None


def _clip(text: str) -> str:
    return text.strip()[:MAX_NAME]


def _text(obj: JsonObject, key: str, field: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _bad(field, "a non-empty string")
    return _clip(value)


def _names(obj: JsonObject, key: str, prefix: str = "after.data.") -> tuple[str, ...]:
    value = obj.get(key, [])
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise _bad(prefix + key, f"a list of at most {MAX_ITEMS} names")
    names = [_clip(item) for item in value if isinstance(item, str) and item.strip()]
    return tuple(dict.fromkeys(names))


def _time(value: JsonValue, field: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(field, "Unix seconds")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise _bad(field, "Unix seconds in range") from None


def _optional_time(value: JsonValue, field: str) -> datetime | None:
    return None if value is None else _time(value, field)
