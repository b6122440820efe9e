"""The on-call pages: list with who is on call now, create, the timeline, layer and
rotation forms, overrides, swaps, temporary schedules, the calendar URL, home and team."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from helpers import SYSTEM, Person, make_person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.accounts.schemas import UserUpdate
from muster.domain.accounts.service import do_update_user
from muster.domain.oncall import overrides as changes
from muster.domain.oncall.models import RotationVersion, Schedule, ScheduleOverride
from muster.domain.oncall.schemas import OverrideCreate
from oncall_support import MONDAY, Crew, days, make_crew, weekly_schedule, who
from ui_support import as_person, count, field_has_error, id_from_location

H = timedelta(hours=1)


@pytest.fixture
def crew(db: Database) -> Crew:
    return make_crew(db)


def _manager(db: Database, zone: str = "UTC") -> Person:
    person = make_person(db, "manager")
    with db.unit_of_work() as uow:
        do_update_user(uow, SYSTEM, person.id, UserUpdate(time_zone=zone))
        uow.commit()
    return person


def test_empty_list_offers_creation(client: TestClient, db: Database) -> None:
    as_person(client, _manager(db))
    r = client.get("/schedules")
    assert r.status_code == 200
    assert "No on-call schedules yet" in r.text
    assert 'href="/schedules/new"' in r.text
    assert '<a href="/schedules" aria-current="page">On-call</a>' in r.text


def test_create_schedule_then_add_rotation_and_override(
    client: TestClient, db: Database, crew: Crew
) -> None:
    csrf = as_person(client, _manager(db, "Europe/Berlin"))
    r = client.get("/schedules/new")
    assert 'value="Europe/Berlin"' in r.text  # the viewer's zone by default
    r = client.post("/schedules/new", follow_redirects=False, data={
        "name": "Payments", "team_id": crew.team, "time_zone": "Europe/Berlin",
        "description": "", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 303, r.text
    sid = id_from_location(r.headers["location"], "/schedules/")
    page = client.get(f"/schedules/{sid}").text
    assert "No layers yet" in page
    assert "Nobody" in page
    form = client.get(f"/schedules/{sid}/layers/new").text
    assert form.count('name="participants"') >= 4
    r = client.post(f"/schedules/{sid}/layers/new", follow_redirects=False, data={"csrf_token": csrf, "name": "Weekly", "participants": [crew.alice, "", crew.bob, crew.alice], "start_date": "2026-01-05", "handoff": "10:00", "turn_length": "1", "turn_unit": "days", "effective_from": ""})  # fmt: skip
    assert r.status_code == 303, r.text
    assert who(db, sid, MONDAY + H) == crew.alice  # 10:00 Berlin = 09:00 UTC
    assert who(db, sid, MONDAY + days(1) + H) == crew.bob
    assert who(db, sid, MONDAY + days(2) + H) == crew.alice
    page = client.get(f"/schedules/{sid}").text
    assert "On call now" in page
    assert ">Alice</a>" in page
    assert '<svg class="timeline"' in page
    assert page.count('class="shift p') >= 2 * 9  # final row + the layer's row (A B A-A …)
    # An override, in the viewer's zone: Carol 2026-01-06 12:00 to 18:00 Berlin.
    r = client.post(f"/schedules/{sid}/overrides", follow_redirects=False, data={
        "csrf_token": csrf, "user_id": crew.carol, "start": "2026-01-06T12:00",
        "end": "2026-01-06T18:00"})  # fmt: skip
    assert r.status_code == 303, r.text
    assert who(db, sid, MONDAY + days(1) + 3 * H) == crew.carol  # 11:00 UTC = 12:00 Berlin
    page = client.get(f"/schedules/{sid}").text
    assert "shift p2 override" in page
    assert "<title>Carol — override" in page  # too narrow to write on at 2 weeks: on hover
    assert "latest created wins" in page


def test_form_errors_are_marked_and_nothing_is_saved(
    client: TestClient, db: Database, crew: Crew
) -> None:
    csrf = as_person(client, _manager(db))
    r = client.post("/schedules/new", data={"name": "", "team_id": crew.team,
                                            "time_zone": "Mars/Base", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-time_zone")
    assert field_has_error(r.text, "f-name")
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    versions = count(db, RotationVersion)
    r = client.post(f"/schedules/{sid}/layers/new", data={"csrf_token": csrf, "name": "Second", "participants": [""], "start_date": "soon", "handoff": "09:00", "turn_length": "0", "turn_unit": "days", "restricted": "on"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-start_date")
    assert 'id="f-restrictions-error"' in r.text
    r = client.post(f"/schedules/{sid}/layers/new", data={"csrf_token": csrf, "name": "Second", "participants": [""], "start_date": "2026-01-05", "handoff": "09:00", "turn_length": "0", "turn_unit": "days"})  # fmt: skip
    assert r.status_code == 422
    assert 'id="f-participants-error"' in r.text
    assert field_has_error(r.text, "f-turn_length")
    assert count(db, RotationVersion) == versions
    r = client.post(f"/schedules/{sid}/overrides", data={
        "csrf_token": csrf, "user_id": crew.bob, "start": "2026-01-06T12:00",
        "end": "2026-01-06T11:00"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "o-end")
    assert count(db, ScheduleOverride) == 0


def test_edit_rotation_from_a_time_and_rename(
    client: TestClient, db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, layer = weekly_schedule(db, crew, [crew.alice, crew.bob], length=1, unit="days")
    csrf = as_person(client, _manager(db))
    form = client.get(f"/schedules/{sid}/layers/{layer}").text
    assert re.search(r'<option value="' + crew.bob + '" selected>', form)
    clock.advance(days(2))
    csrf = as_person(client, _manager(db))  # sessions last 12 hours
    r = client.post(f"/schedules/{sid}/layers/{layer}", follow_redirects=False, data={"csrf_token": csrf, "name": "Days", "participants": [crew.carol], "start_date": "2026-01-05", "handoff": "09:00", "turn_length": "1", "turn_unit": "days", "effective_from": "2026-01-08T09:00", "restricted": "on", "day_0": "on", "from_0": "09:00", "to_0": "17:00", "day_3": "on", "from_3": "09:00", "to_3": "17:00"})  # fmt: skip
    assert r.status_code == 303, r.text
    assert who(db, sid, MONDAY + days(1) + H) == crew.bob  # history kept
    assert who(db, sid, MONDAY + days(3) + H) == crew.carol  # Thursday 10:00
    assert who(db, sid, MONDAY + days(4) + H) is None  # Friday: outside the windows
    page = client.get(f"/schedules/{sid}").text
    assert "Mon, Thu 09:00\u201317:00" in page
    assert ">Days</h3>" in page
    # A rename alone does not start a new rotation version.
    before = count(db, RotationVersion)
    form = client.get(f"/schedules/{sid}/layers/{layer}").text
    values = dict(re.findall(r'name="(start_date|handoff|turn_length)"[^>]*value="([^"]*)"', form))
    assert 'value="2026-01-08T09:00"' in form  # the planned version's start
    assert re.search(r'<option value="' + crew.carol + '" selected>', form)
    r = client.post(f"/schedules/{sid}/layers/{layer}", follow_redirects=False, data={
        "csrf_token": csrf, "name": "Weekdays", "participants": [crew.carol],
        "start_date": values["start_date"], "handoff": values["handoff"],
        "turn_length": values["turn_length"], "turn_unit": "days", "restricted": "on",
        "day_0": "on", "from_0": "09:00", "to_0": "17:00",
        "day_3": "on", "from_3": "09:00", "to_3": "17:00"})  # fmt: skip
    assert r.status_code == 303
    assert count(db, RotationVersion) == before


def test_swap_temporary_and_calendar_feed_from_the_page(
    client: TestClient, db: Database, crew: Crew
) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice, crew.bob])
    csrf = as_person(client, _manager(db))
    r = client.post(f"/schedules/{sid}/swaps", follow_redirects=False, data={
        "csrf_token": csrf, "first_user_id": crew.alice, "first_start": "2026-01-07T09:00",
        "first_end": "2026-01-08T09:00", "second_user_id": crew.bob,
        "second_start": "2026-01-14T09:00", "second_end": "2026-01-15T09:00"})  # fmt: skip
    assert r.status_code == 303, r.text
    assert who(db, sid, MONDAY + days(2) + H) == crew.bob
    assert who(db, sid, MONDAY + days(9) + H) == crew.alice
    page = client.get(f"/schedules/{sid}").text
    assert page.count(">swap</span>") == 2
    r = client.post(f"/schedules/{sid}/swaps", data={
        "csrf_token": csrf, "first_user_id": crew.alice, "first_start": "2026-01-07T09:00",
        "first_end": "2026-01-08T09:00", "second_user_id": crew.alice,
        "second_start": "2026-01-14T09:00", "second_end": "2026-01-15T09:00"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "s-second_user_id")
    assert "temporary/new" in page
    r = client.get(f"/schedules/{sid}/temporary/new")
    assert r.status_code == 200
    r = client.post(f"/schedules/{sid}/temporary", follow_redirects=False, data={
        "csrf_token": csrf, "start": "2026-01-20T00:00", "end": "2026-01-21T00:00",
        "user_0": crew.carol, "start_0": "2026-01-20T00:00", "end_0": "2026-01-20T12:00",
        "user_1": "", "start_1": "", "end_1": ""})  # fmt: skip
    assert r.status_code == 303, r.text
    assert who(db, sid, MONDAY + days(15)) == crew.carol
    r = client.post(f"/schedules/{sid}/temporary", data={
        "csrf_token": csrf, "start": "2026-01-22T00:00", "end": "2026-01-23T00:00",
        "user_2": crew.carol, "start_2": "2026-01-22T06:00", "end_2": "2026-01-24T12:00"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "t-start_2")
    r = client.post(f"/schedules/{sid}/calendar-feed", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = client.get(f"/schedules/{sid}").text
    url = re.search(r'value="(http[^"]+/calendar/[^"]+\.ics)"', page)
    assert url
    path = "/calendar/" + url.group(1).rsplit("/calendar/", 1)[1]
    assert client.get(path).status_code == 200
    client.post(f"/schedules/{sid}/calendar-feed/revoke", data={"csrf_token": csrf})
    assert client.get(path).status_code == 404


def test_viewer_sees_no_edit_forms_and_is_refused(
    client: TestClient, db: Database, crew: Crew
) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    viewer = make_person(db, "viewer")
    csrf = as_person(client, viewer)
    page = client.get(f"/schedules/{sid}").text
    assert "Add an override" not in page
    assert "Create calendar URL" not in page
    r = client.post(f"/schedules/{sid}/overrides", data={
        "csrf_token": csrf, "user_id": crew.bob, "start": "2026-01-06T12:00",
        "end": "2026-01-06T18:00"})  # fmt: skip
    assert r.status_code == 403
    assert count(db, ScheduleOverride) == 0
    assert client.get("/schedules/new").status_code == 403
    assert count(db, Schedule) == 1


def test_timeline_navigation_gaps_and_list(client: TestClient, db: Database, crew: Crew) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice], start=MONDAY + days(3))
    as_person(client, _manager(db))
    page = client.get(f"/schedules/{sid}").text
    assert "Nobody is on call" in page  # the first three days: a gap, warned in red
    assert 'class="gap"' in page
    assert "From today" in page
    later = client.get(f"/schedules/{sid}?start=2026-01-12&days=7").text
    assert "Mon 12 Jan" in later
    assert 'class="gap"' not in later
    assert client.get(f"/schedules/{sid}?days=500").status_code == 422
    r = client.get("/schedules")
    assert "nobody" in r.text


def test_home_and_team_pages_show_who_is_on_call(
    client: TestClient, db: Database, crew: Crew
) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    weekly_schedule(db, crew, [crew.bob], name="Nights", start=MONDAY + days(1))
    with db.unit_of_work() as uow:
        changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.carol, start=MONDAY, end=MONDAY + H))  # fmt: skip
        uow.commit()
    as_person(client, _manager(db))
    home = client.get("/").text
    section = home[home.index('id="on-call-now"') :]
    assert re.search(r"Nights</a>\s*<span class=\"pill tone-crit\">nobody on call", section)
    assert '>Carol</a> <span class="pill kind-override">override' in section
    team = client.get(f"/teams/{crew.team}").text
    assert 'id="on-call-now"' in team
    assert "Primary" in team[team.index('id="on-call-now"') :]
