"""Pydantic shapes for escalation policies, a service's paging settings and the state
of an alert group's escalation."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from muster.domain.accounts.schemas import Description, Strict, TimeZone
from muster.domain.alerts.schemas import Severity

TargetType = Literal["user", "schedule", "team"]
PolicyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
RepeatCount = Annotated[int, Field(ge=0, le=9, description="Passes after the first (0-9)")]
AckTimeout = Annotated[int, Field(ge=1, le=7 * 24 * 60, description="Minutes")]
MAX_LEVELS = 20
MAX_TARGETS = 20
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("a time of day as HH:MM (00:00 to 23:59)")
    return value


HourMinute = Annotated[str, AfterValidator(_hhmm)]


class TargetIn(Strict):
    type: TargetType
    id: str = Field(min_length=1, max_length=36)


class LevelIn(Strict):
    delay_minutes: int = Field(
        ge=1, le=24 * 60, description="Minutes before the next level is paged"
    )
    targets: list[TargetIn] = Field(min_length=1, max_length=MAX_TARGETS)


Levels = Annotated[list[LevelIn], Field(min_length=1, max_length=MAX_LEVELS)]


class PolicyCreate(Strict):
    name: PolicyName
    description: Description = ""
    team_id: str = Field(min_length=1, max_length=36)
    repeat_count: RepeatCount = 0
    ack_timeout_minutes: AckTimeout | None = None
    levels: Levels


class PolicyUpdate(Strict):
    """Only the fields given change; ``"ack_timeout_minutes": null`` removes the timeout;
    ``levels``, when given, replaces every level."""

    name: PolicyName | None = None
    description: Description | None = None
    team_id: str | None = Field(default=None, min_length=1, max_length=36)
    repeat_count: RepeatCount | None = None
    ack_timeout_minutes: AckTimeout | None = None
    levels: Levels | None = None


class LevelsIn(Strict):
    levels: Levels


class TargetOut(BaseModel):
    type: TargetType
    id: str
    name: str


class LevelOut(BaseModel):
    level: int = Field(description="1 for the first level")
    delay_minutes: int
    targets: list[TargetOut]


class ServiceRef(BaseModel):
    id: str
    name: str


class PolicyOut(BaseModel):
    id: str
    name: str
    description: str
    team_id: str
    team_name: str
    repeat_count: int
    ack_timeout_minutes: int | None
    levels: list[LevelOut]
    services: list[ServiceRef]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class SupportHoursIn(Strict):
    zone: TimeZone
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        min_length=1, max_length=7, description="0=Monday .. 6=Sunday"
    )
    start: HourMinute
    end: HourMinute

    @model_validator(mode="after")
    def _check(self) -> SupportHoursIn:
        if self.end <= self.start:
            raise ValueError("end must be after start on the same day")
        self.days = sorted(set(self.days))
        return self


class UrgencyRulesIn(Strict):
    low_severities: list[Severity] = Field(default_factory=list)
    support_hours: SupportHoursIn | None = None


class ServicePagingIn(Strict):
    """A service's paging: ``escalation_policy_id: null`` stops paging for it."""

    escalation_policy_id: str | None = Field(default=None, min_length=1, max_length=36)
    urgency_rules: UrgencyRulesIn | None = None


class ServicePagingOut(BaseModel):
    service_id: str
    service_name: str
    escalation_policy_id: str | None
    escalation_policy_name: str | None
    urgency_rules: dict[str, Any]


class SnoozeIn(Strict):
    minutes: int = Field(ge=1, le=7 * 24 * 60)


class ReassignIn(Strict):
    """Give exactly one: a person, or another policy."""

    user_id: str | None = Field(default=None, min_length=1, max_length=36)
    escalation_policy_id: str | None = Field(default=None, min_length=1, max_length=36)

    @model_validator(mode="after")
    def _one(self) -> ReassignIn:
        if (self.user_id is None) == (self.escalation_policy_id is None):
            raise ValueError("give either user_id or escalation_policy_id")
        return self


class EscalationOut(BaseModel):
    id: str
    group_id: str
    service_id: str
    status: Literal["active", "acknowledged", "resolved", "exhausted", "snoozed"]
    policy_id: str | None
    policy_name: str
    levels: int
    repeat_count: int
    next_level: int | None = Field(description="The level paged at next_due_at (1-based)")
    reached_level: int | None = Field(description="The level paged last (1-based)")
    loop: int = Field(description="0 during the first pass")
    next_due_at: datetime | None
    ack_timeout_due_at: datetime | None
    snoozed_until: datetime | None
    held_until_support_hours: bool
    policy: dict[str, Any] = Field(description="The snapshot this escalation follows")
    created_at: datetime
    updated_at: datetime
