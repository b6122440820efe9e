"""Deadline arithmetic for regulatory reports (pure: no database, no clock).

``add_period(start, amount, unit, zone=..., is_holiday=...)`` counts a period from an
aware instant and answers an aware UTC instant:

* ``hours``: exact elapsed time (DST changes do not matter).
* ``calendar_days``: the same local wall time in ``zone``, ``amount`` days later.
* ``months``: the same local wall time and day of month ``amount`` months later,
  clamped to the last day of a shorter month (31 January + 1 month → 28/29 February).
* ``business_days``: weekends and holidays (``is_holiday`` of the local date in
  ``zone``) do not count, nor does the start day itself; the deadline is the end of the
  ``amount``-th business day after the start day, i.e. local midnight at its end.

Local wall times are mapped to instants by :mod:`muster.domain.oncall.walltime`'s rules:
a wall time in a spring-forward gap maps to the end of the gap, an ambiguous one to its
first occurrence.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal, get_args
from zoneinfo import ZoneInfo

from muster.domain.oncall.walltime import local_wall, require_utc, wall_to_instant

if TYPE_CHECKING:
    from muster.domain.compliance.models import RegimeReport

Unit = Literal["hours", "calendar_days", "business_days", "months"]
UNITS: tuple[Unit, ...] = get_args(Unit)
HolidayCheck = Callable[[date], bool]

SATURDAY = 5
# Calendar keys with a known name for :func:`describe_deadline`.
CALENDAR_WORDS = {"us-federal": "US federal"}


def no_holidays(_day: date) -> bool:
    return False


def add_period(
    start: datetime,
    amount: int,
    unit: Unit,
    *,
    zone: str = "UTC",
    is_holiday: HolidayCheck = no_holidays,
) -> datetime:
    """The instant ``amount`` ``unit`` after ``start`` (see the module's rules), in UTC.

    Preconditions: ``start`` is aware; ``amount >= 0`` (0 answers ``start``); ``unit`` is
    one of :data:`UNITS`; ``zone`` is an IANA zone name. Raises ValueError otherwise."""
    start = require_utc(start, "start")
    if amount < 0:
        raise ValueError(f"amount must not be negative (got {amount})")
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    if amount == 0:
        return start
    if unit == "hours":
        return start + timedelta(hours=amount)
    tz = ZoneInfo(zone)
    wall = local_wall(tz, start)
    if unit == "calendar_days":
        return wall_to_instant(tz, wall + timedelta(days=amount))
    if unit == "months":
        return wall_to_instant(tz, _add_months(wall, amount))
    last = nth_business_day(wall.date(), amount, is_holiday)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return wall_to_instant(tz, end)


def _add_months(wall: datetime, amount: int) -> datetime:
    index = wall.year * 12 + (wall.month - 1) + amount
    year, month = divmod(index, 12)
    month += 1
    day = min(wall.day, calendar.monthrange(year, month)[1])
    return wall.replace(year=year, month=month, day=day)


def is_business_day(day: date, is_holiday: HolidayCheck = no_holidays) -> bool:
    return day.weekday() < SATURDAY and not is_holiday(day)


def nth_business_day(after: date, n: int, is_holiday: HolidayCheck = no_holidays) -> date:
    """The ``n``-th business day after ``after`` (which does not count).

    Precondition: ``n >= 1``; ``is_holiday`` leaves business days in every week or so
    (a calendar of nothing but holidays would never end)."""
    day, counted = after, 0
    while counted < n:
        day += timedelta(days=1)
        if is_business_day(day, is_holiday):
            counted += 1
    return day


def report_due(
    report: RegimeReport,
    start: datetime,
    cap_start: datetime | None,
    is_holiday: HolidayCheck = no_holidays,
    cap_is_holiday: HolidayCheck = no_holidays,
) -> datetime:
    """When ``report`` is due: its period from ``start``, or the cap's period from
    ``cap_start`` when that is earlier (both counted in the report's zone).

    Preconditions: ``start`` (and ``cap_start`` if given) aware; the report's units valid;
    a ``cap_start`` is ignored when the report has no cap."""
    due = add_period(
        start, report.amount, _unit(report.unit), zone=report.time_zone, is_holiday=is_holiday
    )
    if cap_start is None or report.cap_amount is None or report.cap_unit is None:
        return due
    cap = add_period(
        cap_start,
        report.cap_amount,
        _unit(report.cap_unit),
        zone=report.time_zone,
        is_holiday=cap_is_holiday,
    )
    return min(due, cap).astimezone(UTC)


def _unit(value: str) -> Unit:
    if value not in UNITS:
        raise ValueError(f"unknown unit {value!r}")
    return value


# ---------------------------------------------------------------- in words

_UNIT_WORDS = {
    "hours": ("hour", "hours"),
    "calendar_days": ("calendar day", "calendar days"),
    "business_days": ("business day", "business days"),
    "months": ("month", "months"),
}


def period_words(
    amount: int, unit: str, starts_on: str, *, zone: str = "UTC", calendar_key: str | None = None
) -> str:
    """A period in words: ``"72 hours from aware at"``, ``"4 US federal business days
    from material at, America/New_York"``, ``"1 month from submission of notification"``."""
    one, many = _UNIT_WORDS.get(unit, (unit, unit))
    noun = one if amount == 1 else many
    if unit == "business_days" and calendar_key:
        noun = f"{CALENDAR_WORDS.get(calendar_key, calendar_key)} {noun}"
    text = f"{amount} {noun} from {start_words(starts_on)}"
    if unit != "hours" and zone != "UTC":
        text += f", {zone}"
    return text


def start_words(starts_on: str) -> str:
    """``aware_at`` → ``aware at``; ``submitted:notification`` → ``submission of
    notification``."""
    if starts_on.startswith("submitted:"):
        return f"submission of {starts_on.removeprefix('submitted:')}"
    return starts_on.replace("_", " ")


def describe_deadline(report: RegimeReport) -> str:
    """``report``'s deadline in words, with its cap: ``"4 hours from classified major
    at, at most 24 hours from aware at"``."""
    text = period_words(
        report.amount, report.unit, report.starts_on,
        zone=report.time_zone, calendar_key=report.holiday_calendar,
    )  # fmt: skip
    if report.cap_amount is not None and report.cap_unit and report.cap_starts_on:
        cap = period_words(
            report.cap_amount, report.cap_unit, report.cap_starts_on,
            zone=report.time_zone, calendar_key=report.holiday_calendar,
        )  # fmt: skip
        text += f", at most {cap}"
    if report.min_affected is not None:
        text += f" (when {report.min_affected} or more people are affected)"
    return text
