"""Urgency and support hours (pure): wall-clock windows in the service's zone."""

from __future__ import annotations

from datetime import UTC, datetime

from muster.domain.escalation.urgency import (
    in_support_hours,
    next_support_start,
    notifies_only,
    urgency_of,
)

RULES = {
    "low_severities": ["info", "warning"],
    "support_hours": {"zone": "America/Chicago", "days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"},
}  # fmt: skip


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_urgency_by_severity() -> None:
    assert urgency_of("warning", RULES) == "low"
    assert urgency_of("critical", RULES) == "high"
    assert urgency_of("info", {}) == "high"


def test_support_hours_follow_local_wall_time_across_dst() -> None:
    # Friday 2026-03-06 09:00 CST is 15:00 UTC; after spring-forward (Sun 03-08), 09:00 CDT is 14:00 UTC.
    assert in_support_hours(RULES, utc(2026, 3, 6, 15, 0))
    assert not in_support_hours(RULES, utc(2026, 3, 6, 14, 59))
    assert next_support_start(RULES, utc(2026, 3, 6, 23, 0)) == utc(2026, 3, 9, 14, 0)  # Monday
    assert in_support_hours(RULES, utc(2026, 3, 9, 14, 0))
    assert not in_support_hours(RULES, utc(2026, 3, 9, 22, 0))  # 17:00 CDT: closed


def test_without_support_hours_low_urgency_never_escalates() -> None:
    rules = {"low_severities": ["warning"]}
    assert next_support_start(rules, utc(2026, 1, 5, 12, 0)) is None
    assert notifies_only(rules, "warning", utc(2026, 1, 5, 12, 0))
    assert not notifies_only(rules, "error", utc(2026, 1, 5, 12, 0))
    assert not notifies_only(RULES, "warning", utc(2026, 1, 5, 16, 0))  # Monday 10:00 Chicago
