"""Pydantic shapes for schedules, layers, rotations, overrides, temporary schedules,
who is on call, shifts and calendar feeds.

Every instant is RFC 3339 with an offset (stored and answered in UTC). Wall-clock values
(restriction windows) are ``HH:MM`` in the schedule's zone.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints

from muster.domain.accounts.schemas import Description, Strict, TimeZone

TurnUnit = Literal["hours", "days", "weeks"]
SourceKind = Literal["layer", "override", "temporary"]
ScheduleName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
LayerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]
MAX_PARTICIPANTS = 100
MAX_TEMPORARY_SHIFTS = 200
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("a time of day as HH:MM (00:00 to 23:59)")
    return value


def _weekdays(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("each weekday at most once")
    return sorted(value)


HourMinute = Annotated[str, AfterValidator(_hhmm)]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]


class ScheduleCreate(Strict):
    name: ScheduleName
    team_id: str = Field(min_length=1, max_length=36)
    time_zone: TimeZone = Field(description="IANA zone; handoffs keep their wall time in it")
    description: Description = ""


class ScheduleUpdate(Strict):
    name: ScheduleName | None = None
    team_id: str | None = Field(default=None, min_length=1, max_length=36)
    time_zone: TimeZone | None = None
    description: Description | None = None


class LayerCreate(Strict):
    name: LayerName


class LayerRename(Strict):
    name: LayerName


class LayerOrder(Strict):
    layer_ids: list[str] = Field(
        min_length=1, description="Every active layer's id, the one that wins first"
    )
    effective_from: AwareDatetime | None = Field(
        default=None,
        description="When the new order takes effect (default now; never in the past: "
        "who was on call stays as it was)",
    )


class RestrictionIn(Strict):
    """A weekly window in wall time: starts on each of ``days`` at ``start`` and runs to
    ``end`` (an ``end`` at or before ``start`` runs into the next day)."""

    days: Annotated[list[Weekday], AfterValidator(_weekdays)] = Field(min_length=1)
    start: HourMinute
    end: HourMinute


class RotationIn(Strict):
    participants: list[UserId] = Field(
        min_length=1,
        max_length=MAX_PARTICIPANTS,
        description="User ids in turn order; a user may appear more than once",
    )
    start: AwareDatetime = Field(
        description="When the first turn begins; its wall time in the schedule's zone is "
        "the handoff time"
    )
    turn_length: int = Field(ge=1, le=1000)
    turn_unit: TurnUnit
    restrictions: list[RestrictionIn] = Field(
        default_factory=list, max_length=50, description="Empty: on call all the time"
    )
    effective_from: AwareDatetime | None = Field(
        default=None,
        description="When this rotation replaces the current one (default now; never in "
        "the past: who was on call stays as it was)",
    )


class OverrideCreate(Strict):
    user_id: UserId
    start: AwareDatetime
    end: AwareDatetime


class SwapHalf(Strict):
    """One person's shift, given up to the other person of the swap."""

    user_id: UserId
    start: AwareDatetime
    end: AwareDatetime


class SwapCreate(Strict):
    """``first.user_id`` takes ``second``'s shift and ``second.user_id`` takes
    ``first``'s: two overrides made together, sharing one ``swap_id``."""

    first: SwapHalf
    second: SwapHalf


class TemporaryShiftIn(Strict):
    user_id: UserId
    start: AwareDatetime
    end: AwareDatetime


class TemporaryCreate(Strict):
    start: AwareDatetime
    end: AwareDatetime
    shifts: list[TemporaryShiftIn] = Field(default_factory=list, max_length=MAX_TEMPORARY_SHIFTS)


# ---------------------------------------------------------------- output


class RestrictionOut(BaseModel):
    days: list[int]
    start: str
    end: str


class RotationOut(BaseModel):
    id: str
    participants: list[str]
    participant_names: list[str]
    start: datetime
    handoff: str = Field(description="HH:MM in the schedule's zone")
    turn_length: int
    turn_unit: TurnUnit
    restrictions: list[RestrictionOut]
    effective_from: datetime | None
    effective_until: datetime | None
    created_at: datetime


class LayerOut(BaseModel):
    id: str
    name: str
    rank: int = Field(description="Higher wins where it has someone")
    created_at: datetime
    removed_at: datetime | None
    rotation: RotationOut | None = Field(description="The version in force now, or next")
    versions: list[RotationOut]


class ScheduleOut(BaseModel):
    id: str
    name: str
    description: str
    team_id: str
    team_name: str
    time_zone: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    layers: list[LayerOut] = Field(description="Active layers, the one that wins first")


class OverrideOut(BaseModel):
    id: str
    schedule_id: str
    user_id: str
    user_name: str
    start: datetime
    end: datetime
    created_at: datetime
    created_by: str
    cancelled_at: datetime | None
    swap_id: str | None
    overlaps: list[str] = Field(
        default_factory=list,
        description="Active overrides it overlaps; where they overlap, the latest created wins",
    )


class TemporaryShiftOut(BaseModel):
    user_id: str
    user_name: str
    start: datetime
    end: datetime


class TemporaryOut(BaseModel):
    id: str
    schedule_id: str
    start: datetime
    end: datetime
    shifts: list[TemporaryShiftOut]
    created_at: datetime
    created_by: str
    cancelled_at: datetime | None


class ShiftOut(BaseModel):
    user_id: str
    user_name: str
    start: datetime
    end: datetime
    kind: SourceKind
    source_id: str = Field(description="The layer, override or temporary schedule")


class GapOut(BaseModel):
    start: datetime
    end: datetime


class LayerShiftsOut(BaseModel):
    layer_id: str
    name: str
    rank: int
    shifts: list[ShiftOut]


class ShiftsOut(BaseModel):
    schedule_id: str
    start: datetime
    end: datetime
    final: list[ShiftOut]
    layers: list[LayerShiftsOut]
    gaps: list[GapOut]


class UserShiftOut(ShiftOut):
    schedule_id: str
    schedule_name: str


class OnCallOut(BaseModel):
    schedule_id: str
    schedule_name: str
    team_id: str
    team_name: str
    at: datetime
    user_id: str | None = Field(description="None: nobody is on call (a gap)")
    user_name: str | None
    kind: SourceKind | None
    source_id: str | None
    start: datetime | None = Field(description="When this person's stretch began")
    end: datetime | None = Field(description="When it ends; None if nothing ends it")


class FeedOut(BaseModel):
    id: str
    kind: Literal["schedule", "user"]
    subject_id: str
    url: str = Field(description="Subscribe to this; whoever has it can read the calendar")
    created_at: datetime
    revoked_at: datetime | None
