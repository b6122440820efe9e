"""The pure rules of the on-call health report and the alert metrics filter: what counts
as night, and how the query parameters are read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from muster.domain.reviews.alert_noise import parse_noise_filter
from muster.domain.reviews.oncall_health import (
    NIGHT,
    NightHours,
    health_params,
    parse_health_query,
)
from muster.errors import InvalidInput

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_night_spans_midnight_by_default() -> None:
    assert NIGHT.contains(time(22, 0))
    assert NIGHT.contains(time(23, 30))
    assert NIGHT.contains(time(6, 59))
    assert not NIGHT.contains(time(7, 0))
    assert not NIGHT.contains(time(21, 59))
    day_sleeper = NightHours(time(9, 0), time(17, 0))
    assert day_sleeper.contains(time(12, 0))
    assert not day_sleeper.contains(time(23, 0))


def test_default_range_is_the_last_four_weeks_up_to_today() -> None:
    f = parse_noise_filter({}, NOW)
    assert (f.start.date(), f.end.date()) == (date(2026, 2, 11), date(2026, 3, 11))
    assert f.bucket == "day"


def test_health_query_reads_and_round_trips() -> None:
    params = {"since": "2026-03-01", "until": "2026-03-08", "night_start": "23:00",
              "night_end": "06:00", "limit": "3.5"}  # fmt: skip
    q = parse_health_query(params, NOW)
    assert q.night == NightHours(time(23, 0), time(6, 0))
    assert q.night_limit == 3.5
    assert health_params(q) == params
    assert health_params(parse_health_query({}, NOW)).keys() == {"since", "until"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"night_start": "late"}, "night_start"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"night_start": "07:00", "night_end": "07:00"}, "night_end"),
        ({"since": "2026-03-08", "until": "2026-03-01"}, "end"),
        ({"since": "2025-01-01", "until": "2026-03-01"}, "end"),
    ],
)
def test_bad_health_query_names_the_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_health_query(params, NOW)
    assert err.value.errors[0].field == field
