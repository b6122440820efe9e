"""Which group a new alert joins, by the service's grouping setting (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any


def group_key(
    setting: Mapping[str, Any], *, alert_id: str, dedup_key: str, labels: Mapping[str, Any]
) -> str:
    """The key shared by alerts that belong together.

    ``none``: every alert alone. ``dedup``: alerts with the same dedup key. ``labels``:
    alerts with the same values of the chosen labels (missing labels count as empty).
    """
    mode = setting.get("mode", "none")
    if mode == "dedup":
        return "dedup:" + dedup_key[:280]
    if mode == "labels":
        chosen = sorted(setting.get("labels") or [])
        values = json.dumps(
            [[name, str(labels.get(name, ""))] for name in chosen], separators=(",", ":")
        )
        return "labels:" + hashlib.sha256(values.encode()).hexdigest()
    return "alert:" + alert_id


def group_window(setting: Mapping[str, Any]) -> timedelta | None:
    """How long after a group opens new alerts may still join it (None: while open)."""
    if setting.get("mode") == "labels":
        return timedelta(minutes=int(setting.get("window_minutes", 60)))
    return None
