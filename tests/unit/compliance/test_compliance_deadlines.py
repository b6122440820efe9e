"""Deadline arithmetic of the shipped regimes: hours, calendar days across DST, months
with clamping, US federal business days, DORA's cap and NIS2's chained final report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from muster.domain.compliance.deadlines import (
    add_period,
    describe_deadline,
    is_business_day,
    report_due,
)
from muster.domain.compliance.holidays import is_us_federal_holiday, us_federal_holidays
from muster.domain.compliance.models import RegimeReport

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def report(**values: object) -> RegimeReport:
    base: dict[str, object] = {
        "key": "r", "name": "R", "starts_on": "aware_at", "amount": 72, "unit": "hours",
        "time_zone": "UTC", "holiday_calendar": None, "cap_starts_on": None,
        "cap_amount": None, "cap_unit": None, "min_affected": None,
    }  # fmt: skip
    return RegimeReport(**{**base, **values})


# ---------------------------------------------------------------- business days


def test_sec_four_business_days_skip_thanksgiving_and_the_weekend() -> None:
    material = datetime(2026, 11, 25, 15, 30, tzinfo=NY)  # Wednesday before Thanksgiving
    due = add_period(material, 4, "business_days", zone="America/New_York",
                     is_holiday=is_us_federal_holiday)  # fmt: skip
    # Thu 26 Thanksgiving, Sat/Sun skipped: Fri 27, Mon 30, Tue 1, Wed 2 -> end of Wed 2.
    assert due == datetime(2026, 12, 3, 0, 0, tzinfo=NY)
    assert due.tzinfo is UTC
    without_holidays = add_period(material, 4, "business_days", zone="America/New_York")
    assert without_holidays == datetime(2026, 12, 2, 0, 0, tzinfo=NY)


def test_business_days_count_the_local_date_of_the_zone() -> None:
    # 02:00 UTC on Friday is still Thursday evening in New York: Friday counts.
    start = datetime(2026, 11, 6, 2, 0, tzinfo=UTC)
    due = add_period(start, 1, "business_days", zone="America/New_York")
    assert due == datetime(2026, 11, 7, 0, 0, tzinfo=NY)
    assert add_period(start, 1, "business_days") == datetime(2026, 11, 10, 0, 0, tzinfo=UTC)


def test_new_year_on_saturday_is_observed_on_friday_31_december() -> None:
    assert date(2022, 1, 1).weekday() == 5
    assert is_us_federal_holiday(date(2021, 12, 31))
    assert us_federal_holidays(2021)[date(2021, 12, 31)] == "New Year's Day (observed)"
    assert date(2021, 12, 31) not in us_federal_holidays(2022)
    start = datetime(2021, 12, 30, 10, 0, tzinfo=NY)  # Thursday
    due = add_period(start, 1, "business_days", zone="America/New_York",
                     is_holiday=is_us_federal_holiday)  # fmt: skip
    assert due == datetime(2022, 1, 4, 0, 0, tzinfo=NY)  # Fri 31 off, weekend: Mon 3


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2026, {date(2026, 1, 1), date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25),
                date(2026, 6, 19), date(2026, 7, 3), date(2026, 7, 4), date(2026, 9, 7),
                date(2026, 10, 12), date(2026, 11, 11), date(2026, 11, 26),
                date(2026, 12, 25)}),
        (2020, {date(2020, 1, 1), date(2020, 1, 20), date(2020, 2, 17), date(2020, 5, 25),
                date(2020, 7, 3), date(2020, 7, 4), date(2020, 9, 7), date(2020, 10, 12),
                date(2020, 11, 11), date(2020, 11, 26), date(2020, 12, 25)}),
    ],
)  # fmt: skip
def test_federal_holidays_by_rule(year: int, expected: set[date]) -> None:
    assert set(us_federal_holidays(year)) == expected


def test_sunday_holiday_is_observed_on_monday() -> None:
    days = us_federal_holidays(2022)
    assert days[date(2022, 12, 26)] == "Christmas Day (observed)"
    assert days[date(2022, 6, 20)] == "Juneteenth National Independence Day (observed)"
    assert date(2020, 6, 19) not in us_federal_holidays(2020)  # Juneteenth from 2021


# ---------------------------------------------------------------- calendar days, months, hours


def test_calendar_days_keep_the_wall_time_across_dst() -> None:
    start = datetime(2026, 10, 20, 9, 0, tzinfo=BERLIN)  # CEST; clocks go back on 25 Oct
    due = add_period(start, 60, "calendar_days", zone="Europe/Berlin")
    local = due.astimezone(BERLIN)
    assert (local.date(), local.hour, local.minute) == (date(2026, 12, 19), 9, 0)
    assert due - start == timedelta(days=60, hours=1)  # one more hour elapsed
    assert add_period(start, 60, "calendar_days") - start == timedelta(days=60)  # UTC


def test_a_wall_time_in_the_spring_gap_maps_to_the_end_of_the_gap() -> None:
    start = datetime(2026, 3, 7, 2, 30, tzinfo=UTC).replace(tzinfo=NY)  # Sat 02:30 EST
    due = add_period(start, 1, "calendar_days", zone="America/New_York")
    assert due == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT: 02:30 does not exist


def test_months_clamp_to_the_end_of_a_shorter_month() -> None:
    start = datetime(2026, 1, 31, 14, 0, tzinfo=UTC)
    assert add_period(start, 1, "months") == datetime(2026, 2, 28, 14, 0, tzinfo=UTC)
    assert add_period(start, 13, "months") == datetime(2027, 2, 28, 14, 0, tzinfo=UTC)
    leap = datetime(2027, 12, 31, 14, 0, tzinfo=UTC)
    assert add_period(leap, 2, "months") == datetime(2028, 2, 29, 14, 0, tzinfo=UTC)
    assert add_period(datetime(2026, 3, 15, tzinfo=UTC), 1, "months") == datetime(
        2026, 4, 15, tzinfo=UTC
    )


def test_hours_are_elapsed_time_even_across_dst() -> None:
    start = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)
    due = add_period(start, 72, "hours", zone="Europe/Berlin")
    assert due - start == timedelta(hours=72)
    assert due.astimezone(BERLIN).hour == 11  # wall time moved: the clocks went back


def test_bad_input_is_refused() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        add_period(datetime(2026, 1, 1), 1, "hours")  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        add_period(start, -1, "hours")
    with pytest.raises(ValueError, match="unit"):
        add_period(start, 1, "weeks")  # type: ignore[arg-type]
    assert add_period(start, 0, "business_days") == start


# ---------------------------------------------------------------- report_due


def test_dora_classified_major_late_is_capped_at_24_hours_from_awareness() -> None:
    dora = report(starts_on="classified_major_at", amount=4, unit="hours",
                  cap_starts_on="aware_at", cap_amount=24, cap_unit="hours")  # fmt: skip
    aware = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    major_late = aware + 30 * H
    assert report_due(dora, major_late, aware) == aware + 24 * H
    major_early = aware + 2 * H
    assert report_due(dora, major_early, aware) == major_early + 4 * H
    assert report_due(dora, major_late, None) == major_late + 4 * H  # cap not known yet
    assert describe_deadline(dora) == (
        "4 hours from classified major at, at most 24 hours from aware at"
    )


def test_nis2_final_report_runs_one_month_from_the_notification_submission() -> None:
    final = report(key="final", starts_on="submitted:notification", amount=1, unit="months")
    submitted = datetime(2026, 1, 31, 16, 45, tzinfo=UTC)
    assert report_due(final, submitted, None) == datetime(2026, 2, 28, 16, 45, tzinfo=UTC)
    assert describe_deadline(final) == "1 month from submission of notification"


def test_sec_report_due_and_words() -> None:
    sec = report(starts_on="material_at", amount=4, unit="business_days",
                 time_zone="America/New_York", holiday_calendar="us-federal")  # fmt: skip
    material = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert report_due(sec, material, None, is_us_federal_holiday) == datetime(
        2026, 12, 3, tzinfo=NY
    )
    assert describe_deadline(sec) == (
        "4 US federal business days from material at, America/New_York"
    )
    hhs = report(starts_on="discovered_at", amount=60, unit="calendar_days", min_affected=500)
    assert describe_deadline(hhs) == (
        "60 calendar days from discovered at (when 500 or more people are affected)"
    )


# ---------------------------------------------------------------- properties

instants = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2060, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
zones = st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney"])


@settings(max_examples=300, deadline=None)
@given(start=instants, amount=st.integers(1, 40), zone=zones)
def test_business_deadline_ends_a_business_day(start: datetime, amount: int, zone: str) -> None:
    tz = ZoneInfo(zone)
    due = add_period(start, amount, "business_days", zone=zone, is_holiday=is_us_federal_holiday)
    local = due.astimezone(tz)
    assert (local.hour, local.minute) == (0, 0) or _in_a_gap(local)
    last = (local - timedelta(minutes=1)).date()  # the day that just ended
    assert is_business_day(last, is_us_federal_holiday)
    assert last > start.astimezone(tz).date()
    between = [start.astimezone(tz).date() + timedelta(days=n)
               for n in range(1, (last - start.astimezone(tz).date()).days + 1)]  # fmt: skip
    assert sum(is_business_day(d, is_us_federal_holiday) for d in between) == amount


def _in_a_gap(local: datetime) -> bool:
    return local.utcoffset() != (local - 2 * H).utcoffset()  # midnight skipped by DST


@settings(max_examples=300, deadline=None)
@given(
    start=instants,
    amount=st.integers(0, 60),
    unit=st.sampled_from(["hours", "calendar_days", "business_days", "months"]),
    zone=zones,
)
def test_deadlines_grow_with_the_amount(start: datetime, amount: int, unit: str, zone: str) -> None:
    def due(n: int) -> datetime:
        return add_period(start, n, unit, zone=zone, is_holiday=is_us_federal_holiday)  # type: ignore[arg-type]

    assert start <= due(amount) < due(amount + 1)
