"""Pydantic shapes for the catalogue of notification regimes and holiday calendars.

Field-level rules live here (patterns, ranges, the unit names, time zones); rules that
look at other fields or rows (cap fields all or none, chained starts naming an earlier
report of the same regime without cycles, the holiday calendar existing) are checked by
:mod:`muster.domain.compliance.regimes`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from muster.domain.accounts.schemas import Strict, TimeZone

UnitName = Literal["hours", "calendar_days", "business_days", "months"]
Key = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9-]{0,39}$"),
    Field(description="Lower-case letters, digits and -, starting with a letter; fixed once made"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Recipient = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
StartsOn = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=80,
        pattern=r"^([a-z][a-z0-9_]*|submitted:[a-z][a-z0-9-]*)$",
    ),
    Field(
        description="A fact key (aware_at, material_at ...) or submitted:<report key> of an "
        "earlier report of the same regime"
    ),
]
Amount = Annotated[int, Field(ge=1, le=10_000)]

# Clock-starting facts offered in forms (any [a-z][a-z0-9_]* is accepted).
KNOWN_FACTS = (
    "aware_at",
    "discovered_at",
    "material_at",
    "classified_major_at",
    "reasonable_belief_at",
    "ransom_paid_at",
)
UNIT_LABELS = {
    "hours": "hours",
    "calendar_days": "calendar days",
    "business_days": "business days",
    "months": "months",
}


class ReportIn(Strict):
    """One report of a regime. ``cap_*`` are all given or all left out."""

    key: Key
    name: Name
    recipient: Recipient = ""
    starts_on: StartsOn
    amount: Amount
    unit: UnitName
    time_zone: TimeZone = "UTC"
    holiday_calendar: Key | None = None
    cap_starts_on: StartsOn | None = None
    cap_amount: Amount | None = None
    cap_unit: UnitName | None = None
    min_affected: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = None
    late_needs_reason: bool = True
    guidance: Text = ""


class RegimeCreate(Strict):
    key: Key
    name: Name
    description: Text = ""
    proposed: bool = False
    reports: Annotated[list[ReportIn], Field(min_length=1, max_length=20)]


class RegimeUpdate(Strict):
    """Only the fields given change. ``reports`` replaces the whole list: reports are
    matched by key (kept, so clocks keep them), new keys added, missing ones removed."""

    name: Name | None = None
    description: Text | None = None
    proposed: bool | None = None
    reports: Annotated[list[ReportIn], Field(min_length=1, max_length=20)] | None = None


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str
    name: str
    recipient: str
    position: int
    starts_on: str
    amount: int
    unit: str
    time_zone: str
    holiday_calendar: str | None
    cap_starts_on: str | None
    cap_amount: int | None
    cap_unit: str | None
    min_affected: int | None
    late_needs_reason: bool
    guidance: str
    deadline: str = Field(description="The deadline in words")


class RegimeOut(BaseModel):
    id: str
    key: str
    name: str
    description: str
    proposed: bool
    builtin: bool
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    reports: list[ReportOut]


# ---------------------------------------------------------------- holiday calendars


class HolidayCalendarCreate(Strict):
    key: Key
    name: Name


class HolidayCalendarUpdate(Strict):
    name: Name


class HolidayIn(Strict):
    day: date
    name: Name


class HolidayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    day: date
    name: str


class HolidayCalendarOut(BaseModel):
    id: str
    key: str
    name: str
    builtin: bool
    rule: str | None = Field(description="Days added by rule besides the listed ones")
    created_at: datetime
    updated_at: datetime
    days: list[HolidayOut]
