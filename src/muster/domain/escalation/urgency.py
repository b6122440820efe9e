"""Urgency: which alerts are low urgency, and the support hours in which they still
escalate like any other (pure).

A service's ``urgency_rules``::

    {"low_severities": ["info", "warning"],
     "support_hours": {"zone": "Europe/Berlin", "days": [0, 1, 2, 3, 4],
                       "start": "09:00", "end": "18:00"}}

A group whose severity is listed is low urgency. Outside support hours (always, when the
service has none) a low-urgency group notifies the first level it reaches and escalates
no further until support hours start. Days are 0=Monday .. 6=Sunday, times are wall
clock in ``zone``, and ``start < end`` (a window never crosses midnight).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from muster.domain.oncall.walltime import local_wall, wall_to_instant

Urgency = Literal["high", "low"]


def urgency_of(severity: str, rules: dict[str, Any]) -> Urgency:
    return "low" if severity in (rules.get("low_severities") or []) else "high"


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_support_hours(rules: dict[str, Any], at: datetime) -> bool:
    """Whether ``at`` falls in the service's support hours (never, when it has none)."""
    hours = rules.get("support_hours")
    if not hours:
        return False
    local = local_wall(ZoneInfo(hours["zone"]), at)
    start, end = _hhmm(hours["start"]), _hhmm(hours["end"])
    return local.weekday() in hours["days"] and start <= local.time() < end


def next_support_start(rules: dict[str, Any], at: datetime) -> datetime | None:
    """The first start of support hours strictly after ``at`` (None: the service has none)."""
    hours = rules.get("support_hours")
    if not hours or not hours.get("days"):
        return None
    tz = ZoneInfo(hours["zone"])
    start = _hhmm(hours["start"])
    today = local_wall(tz, at).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() not in hours["days"]:
            continue
        instant = wall_to_instant(tz, datetime.combine(day, start, tzinfo=tz))
        if instant > at:
            return instant
    return None


def notifies_only(rules: dict[str, Any], severity: str, at: datetime) -> bool:
    """Whether a group of ``severity`` notifies without escalating at ``at``."""
    return urgency_of(severity, rules) == "low" and not in_support_hours(rules, at)
