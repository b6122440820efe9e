"""Playbook conditions over an incident's facts: every operator, all/any/not, lists,
dotted fields through linked alerts' labels, time of day and weekday in a zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from muster.domain.playbooks.conditions import condition_problems, explain, holds
from muster.domain.playbooks.schemas import Condition

MONDAY_0930_UTC = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
FACTS: dict[str, Any] = {
    "type": "security",
    "severity": 2,
    "status": "investigating",
    "services": ["checkout", "payments"],
    "sites": ["Berlin DC"],
    "tags": ["Ransomware", "finance"],
    "customer_facing": True,
    "restricted": False,
    "alert_labels": [{"host": "web-1", "team": "core"}, {"host": "db-2"}],
}


def leaf(field: str, op: str, value: Any = None, zone: str | None = None) -> Condition:
    return Condition.model_validate({"field": field, "op": op, "value": value, "zone": zone})


def check(cond: Condition, now: datetime = MONDAY_0930_UTC) -> bool:
    return holds(cond, FACTS, now)


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("type", "eq", "security", True),
        ("type", "eq", "SECURITY", True),
        ("type", "ne", "security", False),
        ("severity", "eq", 2, True),
        ("severity", "eq", "SEV2", True),
        ("severity", "lte", 2, True),
        ("severity", "lt", 2, False),
        ("severity", "gt", 1, True),
        ("severity", "gte", 3, False),
        ("severity", "between", [1, 2], True),
        ("severity", "in", ["SEV1", "SEV2"], True),
        ("severity", "not_in", [1, 3], True),
        ("status", "in", ["triage", "investigating"], True),
        ("services", "eq", "checkout", True),
        ("services", "ne", "checkout", False),
        ("services", "ne", "search", True),
        ("services", "in", ["search", "payments"], True),
        ("services", "not_in", ["search"], True),
        ("services", "not_in", ["search", "payments"], False),
        ("sites", "contains", "berlin", True),
        ("tags", "eq", "ransomware", True),
        ("tags", "matches", "^ran", False),
        ("tags", "matches", "(?i)^ran", True),
        ("customer_facing", "eq", True, True),
        ("customer_facing", "eq", "true", True),
        ("restricted", "eq", True, False),
        ("alert_labels.host", "eq", "db-2", True),
        ("alert_labels.host", "matches", r"^web-\d$", True),
        ("alert_labels.team", "eq", "core", True),
        ("alert_labels.team", "exists", None, True),
        ("alert_labels.region", "exists", None, False),
        ("alert_labels.region", "ne", "eu", True),
        ("nonexistent", "eq", "x", False),
        ("nonexistent", "exists", None, False),
        ("type", "exists", None, True),
    ],
)
def test_leaf_operators(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(leaf(field, op, value)) is expected


def test_all_any_not_combine() -> None:
    sev = {"field": "severity", "op": "lte", "value": 2}
    ops = {"field": "type", "op": "eq", "value": "operational"}
    assert check(Condition.model_validate({"all": [sev, {"not": ops}]})) is True
    assert check(Condition.model_validate({"all": [sev, ops]})) is False
    assert check(Condition.model_validate({"any": [ops, sev]})) is True
    assert check(Condition.model_validate({"any": [ops]})) is False
    assert check(Condition.model_validate({"not": {"any": [ops]}})) is True
    assert holds(None, FACTS, MONDAY_0930_UTC) is True
    assert check(Condition.model_validate({"all": []})) is True
    assert check(Condition.model_validate({"any": []})) is False


def test_time_of_day_and_weekday_in_a_zone() -> None:
    # 09:30 UTC on a Monday is 10:30 in Berlin and 04:30 in New York (same Monday).
    assert check(leaf("time_of_day", "between", ["09:00", "17:00"])) is True
    assert check(leaf("time_of_day", "between", ["9:00", "10:00"], "Europe/Berlin")) is False
    assert check(leaf("time_of_day", "gte", "10:00", "Europe/Berlin")) is True
    assert check(leaf("time_of_day", "lt", "9:00")) is False
    night = leaf("time_of_day", "between", ["22:00", "06:00"], "America/New_York")
    assert check(night) is True  # wraps past midnight
    assert check(leaf("time_of_day", "between", ["22:00", "06:00"])) is False
    assert check(leaf("weekday", "in", ["sat", "sun"])) is False
    assert check(leaf("weekday", "eq", "mon", "Asia/Tokyo")) is True
    sunday_late = datetime(2026, 1, 4, 23, 30, tzinfo=UTC)
    assert check(leaf("weekday", "eq", "mon", "Asia/Tokyo"), sunday_late) is True
    assert check(leaf("weekday", "eq", "mon"), sunday_late) is False


def test_alert_facts_read_by_dotted_labels() -> None:
    alert = {"labels": {"host": "web-1"}, "severity": "critical", "summary": "Disk full"}
    assert holds(leaf("labels.host", "eq", "web-1"), alert, MONDAY_0930_UTC)
    assert holds(leaf("summary", "contains", "disk"), alert, MONDAY_0930_UTC)
    assert not holds(leaf("labels.env", "eq", "prod"), alert, MONDAY_0930_UTC)
    assert holds(leaf("labels.env", "not_in", ["prod"]), alert, MONDAY_0930_UTC)


def test_problems_name_the_bad_leaf() -> None:
    cond = Condition.model_validate({"all": [
        {"field": "severity", "op": "lte", "value": 2},
        {"any": [{"field": "tags", "op": "matches", "value": "("}]},
        {"field": "time_of_day", "op": "between", "value": ["25:00", "06:00"]},
        {"field": "weekday", "op": "eq", "value": "someday"},
        {"field": "type", "op": "in", "value": "security"},
        {"field": "time_of_day", "op": "lt", "value": "12:00", "zone": "Mars/Olympus"},
    ]})  # fmt: skip
    problems = dict(condition_problems(cond))
    assert set(problems) == {"all.1.any.0", "all.2", "all.3", "all.4", "all.5"}
    assert "regular expression" in problems["all.1.any.0"]
    assert "HH:MM" in problems["all.2"]
    assert "mon" in problems["all.3"]
    assert "list" in problems["all.4"]
    assert "Mars/Olympus" in problems["all.5"]
    assert condition_problems(leaf("severity", "lte", 2)) == []


def test_explain_reads_as_words() -> None:
    cond = Condition.model_validate(
        {"all": [{"field": "severity", "op": "lte", "value": 2},
                 {"not": {"field": "tags", "op": "exists"}}]}
    )  # fmt: skip
    assert explain(cond) == "(severity lte 2 and not tags exists)"
