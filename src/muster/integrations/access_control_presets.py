"""Ready mappings (see :class:`muster.integrations.access_control.AccessMapping`) for
common access-control payload shapes. A vendor whose words differ is one ``kind_map``
away: copy the preset into ``config.mapping`` and edit it.

* ``verkada``: a notification webhook carrying the event in ``data``
  (``notification_type``, ``door_id``/``device_id``, ``created`` in Unix seconds,
  ``event_id``, ``input_value`` the credential, ``user_info.name``, ``door_info.name``).
* ``unifi_access``: an ``event`` name (``access.door.unlock`` ...) with the door under
  ``data.location``, the person under ``data.actor`` and, for unlock attempts, the
  outcome in ``data.object.result`` (``ACCESS`` / ``BLOCKED``).
* ``muster``: Muster's own flat shape, for scripts and MQTT bridges:
  ``{"kind": "door_forced_open", "door": "d-12", "door_name": "...", "identity": "...",
  "credential": "...", "event_id": "...", "time": "2026-11-24T03:00:00Z"}``.
"""

from __future__ import annotations

from typing import Any

VERKADA: dict[str, Any] = {
    "kind": "$.data.notification_type",
    "door": ["$.data.door_id", "$.data.device_id"],
    "door_name": "$.data.door_info.name",
    "identity": ["$.data.user_info.name", "$.data.user_info.email"],
    "credential": "$.data.input_value",
    "event_id": "$.data.event_id",
    "timestamp": ["$.data.created", "$.created_at"],
    "kind_map": {
        "door_access_granted": "access_granted", "access_granted": "access_granted",
        "door_opened_granted": "access_granted",
        "door_access_rejected": "access_denied", "door_rejected": "access_denied",
        "access_rejected": "access_denied",
        "door_forced_open": "door_forced_open", "dfo": "door_forced_open",
        "door_held_open": "door_held_open", "dho": "door_held_open",
        "door_tailgating": "tailgating_detected", "tailgating_detected": "tailgating_detected",
        "door_tamper": "tamper", "tamper_detected": "tamper",
        "access_controller_offline": "controller_offline",
        "access_controller_online": "controller_online",
        "lockdown": "lockdown", "lockdown_activated": "lockdown",
    },
}  # fmt: skip

UNIFI_ACCESS: dict[str, Any] = {
    # An unlock attempt says granted/blocked in object.result; other events in their name.
    "kind": ["$.data.object.result", "$.event"],
    "door": ["$.data.location.id", "$.data.device.id"],
    "door_name": ["$.data.location.name", "$.data.device.name"],
    "identity": ["$.data.actor.display_name", "$.data.actor.id"],
    "credential": "$.data.object.authentication_type",
    "event_id": ["$.data.object.event_object_id", "$.event_object_id"],
    "timestamp": ["$.data.object.timestamp", "$.timestamp"],
    "kind_map": {
        "access": "access_granted", "blocked": "access_denied", "denied": "access_denied",
        "access.door.forced_open": "door_forced_open",
        "access.door.open_timeout": "door_held_open",
        "access.door.tailgating": "tailgating_detected",
        "access.device.tamper": "tamper",
        "access.device.offline": "controller_offline",
        "access.device.online": "controller_online",
        "access.emergency.lockdown": "lockdown",
    },
}  # fmt: skip

MUSTER: dict[str, Any] = {
    "kind": "$.kind",
    "door": "$.door",
    "door_name": "$.door_name",
    "identity": "$.identity",
    "credential": "$.credential",
    "event_id": "$.event_id",
    "timestamp": "$.time",
}

PRESETS: dict[str, dict[str, Any]] = {
    "verkada": VERKADA,
    "unifi_access": UNIFI_ACCESS,
    "muster": MUSTER,
}
