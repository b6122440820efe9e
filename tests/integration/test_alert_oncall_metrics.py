"""Alert noise and on-call health on constructed histories with known times."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from alert_metrics_support import add_alert, add_member, add_page, make_service, set_zone
from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.service import get_team
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.reviews.alert_noise import NoiseFilter, alert_noise, noise_table
from muster.domain.reviews.oncall_health import (
    NightHours,
    check_can_view_health,
    oncall_health,
)
from muster.errors import InvalidInput, PermissionDenied
from oncall_support import MONDAY, make_crew, weekly_schedule

DAY = timedelta(days=1)


def _noise(db: Database, **kw: object) -> object:
    f = NoiseFilter(start=MONDAY, end=MONDAY + 14 * DAY, **kw)  # type: ignore[arg-type]
    with db.unit_of_work(readonly=True) as uow:
        return alert_noise(uow, f)


def test_noise_shares_and_series(db: Database) -> None:
    crew = make_crew(db)
    web = make_service(db, crew.team, "web")
    other_team_db = make_service(db, crew.team, "db")
    t = MONDAY + timedelta(hours=1)
    add_alert(db, web, t, acked=t)  # acknowledged, then resolved
    add_alert(db, web, t + timedelta(minutes=5))  # resolved, never acknowledged
    add_alert(db, web, t + DAY, suppressed="maintenance window")  # suppressed, never acked
    add_alert(db, web, t + DAY, flapping=True, key="cpu", status="triggered")  # open: not "never"
    add_alert(db, other_team_db, t + 8 * DAY, key="cpu", acked=t + 8 * DAY)
    add_alert(db, web, MONDAY - DAY)  # before the range
    add_alert(db, web, MONDAY + 14 * DAY)  # at the end: outside [start, end)

    noise = _noise(db)
    s = noise.summary  # type: ignore[attr-defined]
    assert (s.total, s.suppressed, s.flapping, s.never_acknowledged, s.resolved) == (5, 1, 1, 2, 4)
    assert s.suppressed_share == pytest.approx(0.2)
    assert s.never_acknowledged_share == pytest.approx(0.4)
    days = {b.start: b.counts.total for b in noise.series}  # type: ignore[attr-defined]
    assert len(days) == 15  # 09:00 Monday to 09:00 two weeks on: 15 calendar days
    assert days[date(2026, 1, 5)] == 2
    assert days[date(2026, 1, 6)] == 2
    assert days[date(2026, 1, 13)] == 1
    assert days[date(2026, 1, 7)] == 0
    weeks = _noise(db, bucket="week").series  # type: ignore[attr-defined]
    assert [(b.start, b.counts.total) for b in weeks] == [
        (date(2026, 1, 5), 4),
        (date(2026, 1, 12), 1),
        (date(2026, 1, 19), 0),  # the range's last morning
    ]

    top = noise.top_services  # type: ignore[attr-defined]
    assert [(i.service_name, i.counts.total) for i in top] == [("web", 4), ("db", 1)]
    assert noise.top_alerts[0].dedup_key == "disk"  # type: ignore[attr-defined]
    assert noise.top_alerts[0].counts.total == 3  # type: ignore[attr-defined]

    only_db = _noise(db, service_id=other_team_db).summary  # type: ignore[attr-defined]
    assert only_db.total == 1
    assert _noise(db, team_id=crew.team).summary.total == 5  # type: ignore[attr-defined]
    assert _noise(db, team_id="nope").summary.total == 0  # type: ignore[attr-defined]

    rows = noise_table(noise, "series")  # type: ignore[arg-type]
    assert rows[0][:2] == ["day", "total"]
    assert rows[1] == ["2026-01-05", 2, 0, 0, 1, 2]


def test_noise_filter_is_checked(db: Database) -> None:
    with db.unit_of_work(readonly=True) as uow, pytest.raises(InvalidInput) as err:
        alert_noise(uow, NoiseFilter(start=MONDAY, end=MONDAY - DAY))
    assert err.value.errors[0].field == "end"
    with db.unit_of_work(readonly=True) as uow, pytest.raises(InvalidInput) as err:
        alert_noise(uow, NoiseFilter(start=MONDAY, end=MONDAY + DAY, bucket="month"))
    assert err.value.errors[0].field == "bucket"


def test_night_pages_follow_each_persons_zone(db: Database) -> None:
    crew = make_crew(db)
    set_zone(db, crew.alice, "Europe/Berlin")
    set_zone(db, crew.bob, "America/New_York")
    add_member(db, crew.team, crew.alice)
    add_member(db, crew.team, crew.bob)
    web = make_service(db, crew.team, "web")
    group = add_alert(db, web, MONDAY)
    # 23:30 in Berlin (CET, UTC+1) is 22:30 UTC and 17:30 in New York.
    at = datetime(2026, 1, 6, 22, 30, tzinfo=UTC)
    add_page(db, crew.alice, group, at, methods=2)  # two methods: still one page
    add_page(db, crew.bob, group, at)
    add_page(db, crew.bob, group, at + timedelta(hours=1), status="failed")  # not delivered
    with db.unit_of_work(readonly=True) as uow:
        report = oncall_health(uow, get_team(uow, crew.team), MONDAY, MONDAY + 7 * DAY)
        late = oncall_health(uow, get_team(uow, crew.team), MONDAY, MONDAY + 7 * DAY,
                             night=NightHours(time(0, 0), time(6, 0)))  # fmt: skip
    people = {p.user_id: p for p in report.people}
    assert (people[crew.alice].pages, people[crew.alice].night_pages) == (1, 1)
    assert (people[crew.bob].pages, people[crew.bob].night_pages) == (1, 0)
    assert report.night_pages == 1
    assert {p.user_id: p.night_pages for p in late.people}[crew.alice] == 0
    assert [(s.name, s.pages, s.night_pages) for s in report.services] == [("web", 2, 1)]


def test_pages_per_shift_with_two_people(db: Database) -> None:
    crew = make_crew(db)
    weekly_schedule(db, crew, [crew.alice, crew.bob], length=1, unit="days")
    web = make_service(db, crew.team, "web")
    api = make_service(db, crew.team, "api")
    g_web, g_api = add_alert(db, web, MONDAY), add_alert(db, api, MONDAY)
    # Alice holds Mon 09:00-Tue 09:00, Bob Tue 09:00-Wed 09:00 (UTC).
    add_page(db, crew.alice, g_web, MONDAY + timedelta(hours=2))
    add_page(db, crew.alice, g_web, MONDAY + timedelta(hours=15))  # 00:00 UTC: night
    add_page(db, crew.alice, g_api, MONDAY + timedelta(hours=30))  # during Bob's shift
    add_page(db, crew.bob, g_web, MONDAY + timedelta(hours=26))
    with db.unit_of_work(readonly=True) as uow:
        report = oncall_health(uow, get_team(uow, crew.team), MONDAY, MONDAY + 2 * DAY,
                               night_limit=0.5)  # fmt: skip
    shifts = [(s.user_id, s.start, s.pages, s.night_pages) for s in report.shifts]
    assert shifts == [
        (crew.alice, MONDAY, 2, 1),
        (crew.bob, MONDAY + DAY, 1, 0),
    ]
    people = {p.user_id: p for p in report.people}
    assert people[crew.alice].pages == 3  # every page to her, in a shift or not
    assert people[crew.alice].pages_in_shifts == 2
    assert people[crew.alice].on_call_hours == 24.0
    assert people[crew.alice].over_limit  # 1 night page in a week-long minimum > 0.5
    assert not people[crew.bob].over_limit
    assert report.pages_per_shift == pytest.approx(1.5)
    assert [(s.name, s.pages) for s in report.services] == [("web", 3), ("api", 1)]


def test_health_is_for_managers_and_members(db: Database) -> None:
    crew = make_crew(db)
    add_member(db, crew.team, crew.alice)

    def actor(user_id: str, role: Role) -> Actor:
        return Actor(kind="user", id=user_id, label="x", role=role, via=Via.API)

    with db.unit_of_work(readonly=True) as uow:
        team = get_team(uow, crew.team)
        check_can_view_health(actor(crew.alice, Role.RESPONDER), team)
        check_can_view_health(actor(crew.maria, Role.MANAGER), team)
        check_can_view_health(SYSTEM, team)
        with pytest.raises(PermissionDenied):
            check_can_view_health(actor(crew.bob, Role.RESPONDER), team)
        with pytest.raises(PermissionDenied):
            check_can_view_health(actor(crew.vic, Role.VIEWER), team)
