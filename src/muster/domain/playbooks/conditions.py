"""Playbook conditions: the facts of an incident, and whether a condition holds over them.

``holds`` is pure: it reads a mapping of facts (an incident's, from :func:`facts_of`, or
an alert's in an ``alert_matched`` trigger: ``labels``, ``severity``, ``summary``,
``source``) and the time. A field names a fact; a dotted field reads into it
(``labels.host``), and through a list of mappings it collects every item's value
(``alert_labels.host``: the ``host`` label of each linked alert). A test on a list holds
when it holds for some item (``eq``/``contains``/``in``...) or for none (``ne``/``not_in``).

``time_of_day`` ("HH:MM") and ``weekday`` (mon..sun) are read from ``now`` in the leaf's
``zone`` (UTC when not given); ``between`` on a time wraps past midnight
(``["22:00", "06:00"]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert
from muster.domain.catalog.models import Service
from muster.domain.incidents.models import Incident, IncidentAlertGroup, IncidentService
from muster.domain.playbooks.schemas import Condition

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_PATTERN = 500
_MISSING = object()


def facts_of(uow: UnitOfWork, incident: Incident) -> dict[str, Any]:
    """What conditions read about ``incident``: type, severity, status, services (names),
    sites, tags, customer_facing, restricted, alert_labels (labels of linked alerts)."""
    services = uow.session.scalars(
        select(Service.name)
        .join(IncidentService, IncidentService.service_id == Service.id)
        .where(IncidentService.incident_id == incident.id)
        .order_by(Service.name)
    ).all()
    labels = uow.session.scalars(
        select(Alert.labels)
        .join(IncidentAlertGroup, IncidentAlertGroup.group_id == Alert.group_id)
        .where(IncidentAlertGroup.incident_id == incident.id)
        .order_by(Alert.first_seen, Alert.id)
    ).all()
    return {
        "type": incident.type_key,
        "severity": incident.severity,
        "status": incident.status,
        "services": list(services),
        "sites": list(incident.sites or []),
        "tags": list(incident.tags or []),
        "customer_facing": incident.customer_facing,
        "restricted": incident.restricted,
        "alert_labels": [dict(item or {}) for item in labels],
    }


def holds(condition: Condition | None, facts: Mapping[str, Any], now: datetime) -> bool:
    """Whether ``condition`` holds over ``facts`` at ``now`` (no condition always holds)."""
    if condition is None:
        return True
    if condition.all is not None:
        return all(holds(c, facts, now) for c in condition.all)
    if condition.any is not None:
        return any(holds(c, facts, now) for c in condition.any)
    if condition.not_ is not None:
        return not holds(condition.not_, facts, now)
    field = condition.field or ""  # the schema allows only these four kinds
    return leaf_holds(field, condition.op or "eq", condition.value, condition.zone, facts, now)


def explain(condition: Condition | None) -> str:
    """The condition in words, for a skipped step's reason or a dry-run."""
    if condition is None:
        return "always"
    if condition.all is not None:
        return "(" + " and ".join(explain(c) for c in condition.all) + ")"
    if condition.any is not None:
        return "(" + " or ".join(explain(c) for c in condition.any) + ")"
    if condition.not_ is not None:
        return f"not {explain(condition.not_)}"
    value = "" if condition.op == "exists" else f" {condition.value!r}"
    return f"{condition.field} {condition.op}{value}"


def condition_problems(condition: Condition | None, path: str = "") -> list[tuple[str, str]]:
    """(field path, reason) for each leaf whose value cannot work: a bad pattern, zone,
    time or range. Empty when the condition is usable."""
    if condition is None:
        return []
    found: list[tuple[str, str]] = []
    for key, items in (("all", condition.all), ("any", condition.any)):
        for i, item in enumerate(items or []):
            found += condition_problems(item, f"{path}{key}.{i}.")
    if condition.not_ is not None:
        found += condition_problems(condition.not_, f"{path}not.")
    if condition.field is not None:
        op = condition.op or "eq"
        reason = _leaf_problem(condition.field, op, condition.value, condition.zone)
        if reason:
            found.append((path.rstrip(".") or "condition", reason))
    return found


# ---- leaves ---------------------------------------------------------------------------


def leaf_holds(
    field: str, op: str, value: Any, zone: str | None, facts: Mapping[str, Any], now: datetime
) -> bool:
    local = now.astimezone(_zone(zone))
    if field == "time_of_day":
        fact: Any = local.strftime("%H:%M")
        if op == "between":
            return _time_between(fact, value)
        value = [_hhmm(v) for v in value] if isinstance(value, list) else _hhmm(value)
    elif field == "weekday":
        fact = WEEKDAYS[local.weekday()]
    else:
        fact = lookup(facts, field)
    if field == "severity" or field.endswith(".severity"):
        value = _severity(value)
    if op == "exists":
        present = fact is not _MISSING and fact is not None and fact not in ("", [], {})
        return present if value is None or value is True else not present
    if fact is _MISSING or fact is None:
        return op in ("ne", "not_in")
    if isinstance(fact, list):
        if op in ("ne", "not_in"):
            positive = "eq" if op == "ne" else "in"
            return not any(_scalar_holds(item, positive, value) for item in fact)
        return any(_scalar_holds(item, op, value) for item in fact)
    return _scalar_holds(fact, op, value)


def lookup(facts: Mapping[str, Any], field: str) -> Any:
    """The fact a (dotted) field names; through a list of mappings, each item's value."""
    current: Any = facts
    for part in field.split("."):
        if isinstance(current, Mapping):
            current = current.get(part, _MISSING)
        elif isinstance(current, list):
            current = [
                item.get(part) for item in current
                if isinstance(item, Mapping) and item.get(part) is not None
            ]  # fmt: skip
        else:
            return _MISSING
        if current is _MISSING:
            return _MISSING
    return current


def _scalar_holds(fact: Any, op: str, value: Any) -> bool:
    match op:
        case "eq":
            return _same(fact, value)
        case "ne":
            return not _same(fact, value)
        case "in":
            return any(_same(fact, v) for v in _as_list(value))
        case "not_in":
            return not any(_same(fact, v) for v in _as_list(value))
        case "contains":
            if isinstance(fact, str):
                return str(value).lower() in fact.lower()
            return _same(fact, value)
        case "matches":
            pattern = _compiled(str(value))
            return pattern is not None and pattern.search(str(fact)) is not None
        case "between":
            bounds = _as_list(value)
            return (
                len(bounds) == 2
                and _compare(fact, bounds[0], "gte")
                and _compare(fact, bounds[1], "lte")
            )
        case "lt" | "lte" | "gt" | "gte":
            return _compare(fact, value, op)
    return False


def _same(fact: Any, value: Any) -> bool:
    if isinstance(fact, bool) or isinstance(value, bool):
        return _truth(fact) == _truth(value)
    if isinstance(fact, str) and isinstance(value, str):
        return fact.casefold() == value.casefold()
    if isinstance(fact, int | float) and isinstance(value, str):
        return str(fact) == value.strip()
    return bool(fact == value)


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "yes", "1")
    return None


def _compare(fact: Any, value: Any, op: str) -> bool:
    left, right = _comparable(fact), _comparable(value)
    if left is None or right is None or type(left) is not type(right):
        return False
    if op == "lt":
        return left < right  # type: ignore[operator]
    if op == "lte":
        return left <= right  # type: ignore[operator]
    if op == "gt":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def _comparable(value: Any) -> float | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return None


def _severity(value: Any) -> Any:
    """``SEV2`` means 2, in values and lists of values."""
    if isinstance(value, list):
        return [_severity(v) for v in value]
    if isinstance(value, str) and re.fullmatch(r"(?i)sev[1-5]", value.strip()):
        return int(value.strip()[3])
    return value


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _time_between(fact: str, value: Any) -> bool:
    bounds = _as_list(value)
    if len(bounds) != 2 or not all(_is_hhmm(b) for b in bounds):
        return False
    start, end = str(_hhmm(bounds[0])), str(_hhmm(bounds[1]))
    if start <= end:
        return start <= fact <= end
    return fact >= start or fact <= end  # wraps past midnight


def _is_hhmm(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value) is not None


def _hhmm(value: Any) -> Any:
    """``9:30`` as ``09:30``; anything else unchanged."""
    if not _is_hhmm(value):
        return value
    hours, minutes = str(value).split(":")
    return f"{int(hours):02d}:{minutes}"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    if len(pattern) > MAX_PATTERN:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _leaf_problem(field: str, op: str, value: Any, zone: str | None) -> str | None:
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return f"unknown time zone {zone!r}"
    if op == "matches":
        if not isinstance(value, str) or len(value) > MAX_PATTERN:
            return f"a pattern is a string of at most {MAX_PATTERN} characters"
        if _compiled(value) is None:
            return f"invalid regular expression {value!r}"
    if op in ("in", "not_in") and not isinstance(value, list):
        return f"{op} takes a list of values"
    if op == "between" and not (isinstance(value, list) and len(value) == 2):
        return "between takes a list of two values, [low, high]"
    if field == "time_of_day" and op != "exists":
        times: Sequence[Any] = value if isinstance(value, list) else [value]
        if not all(_is_hhmm(t) for t in times):
            return "time_of_day compares with HH:MM times"
    if field == "weekday" and op != "exists":
        days: Sequence[Any] = value if isinstance(value, list) else [value]
        if not all(isinstance(d, str) and d.lower() in WEEKDAYS for d in days):
            return f"weekday values are {', '.join(WEEKDAYS)}"
    if op not in ("exists",) and value is None:
        return f"{op} needs a value"
    return None
