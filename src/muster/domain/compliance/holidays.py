"""US federal holidays by rule (5 U.S.C. 6103), for any year, with the observed days.

The holidays: New Year's Day (1 January), Birthday of Martin Luther King, Jr. (third
Monday of January, from 1986), Washington's Birthday (third Monday of February),
Memorial Day (last Monday of May), Juneteenth National Independence Day (19 June, from
2021), Independence Day (4 July), Labor Day (first Monday of September), Columbus Day
(second Monday of October), Veterans Day (11 November), Thanksgiving Day (fourth
Thursday of November) and Christmas Day (25 December). Inauguration Day (only in the
Washington area) is not included. The Monday-holiday rules are applied to every year.

A holiday on a Saturday is observed the Friday before, one on a Sunday the Monday after
(Executive Order 11582). The observed day may fall in another year: when 1 January is a
Saturday it is observed on 31 December of the year before, so that day belongs to the
earlier year's holidays (keys are always dates of ``year``).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

MONDAY, THURSDAY, SATURDAY, SUNDAY = 0, 3, 5, 6


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th (1-based) ``weekday`` (Monday 0) of the month; ``n = -1``: the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _actual(year: int) -> list[tuple[date, str]]:
    """The holidays of ``year`` on their legal dates (before observed-day shifts)."""
    days = [
        (date(year, 1, 1), "New Year's Day"),
        (nth_weekday(year, 2, MONDAY, 3), "Washington's Birthday"),
        (nth_weekday(year, 5, MONDAY, -1), "Memorial Day"),
        (date(year, 7, 4), "Independence Day"),
        (nth_weekday(year, 9, MONDAY, 1), "Labor Day"),
        (nth_weekday(year, 10, MONDAY, 2), "Columbus Day"),
        (date(year, 11, 11), "Veterans Day"),
        (nth_weekday(year, 11, THURSDAY, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year >= 1986:
        days.append((nth_weekday(year, 1, MONDAY, 3), "Birthday of Martin Luther King, Jr."))
    if year >= 2021:
        days.append((date(year, 6, 19), "Juneteenth National Independence Day"))
    return days


def observed_day(day: date) -> date:
    """The day a holiday falling on ``day`` is observed (Saturday → Friday, Sunday →
    Monday; a weekday is its own)."""
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def _holidays(year: int) -> dict[date, str]:
    result: dict[date, str] = {}
    for source_year in (year, year + 1):  # next year's 1 January may be observed here
        for day, name in _actual(source_year):
            observed = observed_day(day)
            if day.year == year:
                result.setdefault(day, name)
            if observed != day and observed.year == year:
                result.setdefault(observed, f"{name} (observed)")
    return dict(sorted(result.items()))


def us_federal_holidays(year: int) -> dict[date, str]:
    """Every date of ``year`` that is a US federal holiday or the observed day of one,
    with its name (observed days named "... (observed)"). Sorted by date."""
    return dict(_holidays(year))


def is_us_federal_holiday(day: date) -> bool:
    """Whether ``day`` is a US federal holiday or the observed day of one."""
    return day in _holidays(day.year)
