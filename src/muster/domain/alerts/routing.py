"""Routing rules, evaluated purely: which rule matches an alert, and what it does.

A condition reads one field of the alert (``summary``, ``severity``, ``labels.team`` ...)
and tests it with one operator. A rule holds when all (or any) of its conditions hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from muster.domain.alerts.models import SEVERITY_RANK

Operator = Literal["equals", "not_equals", "contains", "regex", "exists", "severity_at_least"]
OPERATORS: tuple[Operator, ...] = (
    "equals", "not_equals", "contains", "regex", "exists", "severity_at_least",
)  # fmt: skip
PLAIN_FIELDS = (
    "summary", "details", "source", "component", "group", "class", "severity",
    "dedup_key", "service_id", "integration_type",
)  # fmt: skip
MAX_PATTERN = 500


@dataclass(frozen=True)
class Condition:
    field: str
    op: Operator
    value: str = ""


@dataclass(frozen=True)
class RuleActions:
    route_to_service_id: str | None = None
    set_severity: str | None = None
    add_labels: Mapping[str, str] = field(default_factory=dict)
    suppress: bool = False
    drop: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    match: Literal["all", "any"]
    conditions: Sequence[Condition]
    actions: RuleActions


def field_value(alert: Mapping[str, Any], name: str) -> str | None:
    """The alert's value for a condition field; ``labels.x`` reads label ``x``."""
    if name.startswith("labels."):
        labels = alert.get("labels") or {}
        value = labels.get(name[len("labels.") :])
    else:
        value = alert.get(name)
    return None if value is None else str(value)


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def condition_holds(alert: Mapping[str, Any], cond: Condition) -> bool:
    value = field_value(alert, cond.field)
    if cond.op == "exists":
        return value is not None and value != ""
    if value is None:
        return cond.op == "not_equals"
    match cond.op:
        case "equals":
            return value == cond.value
        case "not_equals":
            return value != cond.value
        case "contains":
            return cond.value.lower() in value.lower()
        case "regex":
            return _compiled(cond.value).search(value) is not None
        case "severity_at_least":
            return SEVERITY_RANK.get(value, 0) >= SEVERITY_RANK.get(cond.value, 99)


def rule_holds(alert: Mapping[str, Any], rule: Rule) -> bool:
    results = (condition_holds(alert, c) for c in rule.conditions)
    return all(results) if rule.match == "all" else any(results)


def first_match(alert: Mapping[str, Any], rules: Sequence[Rule]) -> Rule | None:
    """The first rule, in order, that holds for ``alert``; None means the default route."""
    for rule in rules:
        if rule_holds(alert, rule):
            return rule
    return None


def condition_problem(cond: Mapping[str, Any]) -> str | None:
    """Why a condition as given through the API is invalid, or None."""
    name = cond.get("field")
    op = cond.get("op")
    value = cond.get("value", "")
    if not isinstance(name, str) or not (
        name in PLAIN_FIELDS or (name.startswith("labels.") and len(name) > 7)
    ):
        return f"unknown field; use one of {', '.join(PLAIN_FIELDS)} or labels.<name>"
    if op not in OPERATORS:
        return f"unknown operator; use one of {', '.join(OPERATORS)}"
    if not isinstance(value, str):
        return "value must be a string"
    if op == "regex":
        if len(value) > MAX_PATTERN:
            return f"pattern longer than {MAX_PATTERN} characters"
        try:
            re.compile(value)
        except re.error as exc:
            return f"invalid regular expression: {exc}"
    if op == "severity_at_least" and value not in SEVERITY_RANK:
        return "severity must be one of critical, error, warning, info"
    return None
