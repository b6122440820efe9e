"""Calendar feeds: the .ics parsed back by the icalendar library and every VEVENT checked
against the resolver's final shifts; UIDs stable across refreshes; revoke → 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import icalendar
import pytest
from fastapi.testclient import TestClient

from helpers import SYSTEM, make_person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.oncall import overrides as changes
from muster.domain.oncall.feeds import FEED_AHEAD, FEED_PAST
from muster.domain.oncall.load import on_call
from muster.domain.oncall.schemas import OverrideCreate
from oncall_support import MONDAY, Crew, days, final, make_crew, weekly_schedule

H = timedelta(hours=1)
API = "/api/v1"


@pytest.fixture
def crew(db: Database) -> Crew:
    return make_crew(db)


def _feed_path(client: TestClient, url: str, auth: dict[str, str]) -> str:
    r = client.post(url, headers=auth)
    assert r.status_code in (200, 201), r.text
    return urlparse(r.json()["url"]).path


def _events(client: TestClient, path: str) -> list[Any]:
    r = client.get(path)  # no Authorization: the token is the credential
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "\r\n" in r.text
    assert "\n" not in r.text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in r.text.split("\r\n"))
    parsed = icalendar.Calendar.from_ical(r.text)
    assert str(parsed["VERSION"]) == "2.0"
    assert "PRODID" in parsed
    events = list(parsed.walk("VEVENT"))
    assert all({"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} <= set(e) for e in events)
    return events


def _floor(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def test_schedule_feed_matches_final_shifts(
    client: TestClient, db: Database, crew: Crew, clock: ManualClock
) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice, crew.bob, crew.alice], name="Payments, EU",
                             zone="Europe/Berlin", length=1, unit="days")  # fmt: skip
    clock.advance(days(40) + 5 * H)  # the window now opens in the middle of a turn
    with db.unit_of_work() as uow:
        changes.do_add_override(uow, SYSTEM, sid, OverrideCreate(
            user_id=crew.carol, start=clock.now() + days(2), end=clock.now() + days(2) + 6 * H))  # fmt: skip
        uow.commit()
    manager = make_person(db, "manager")
    path = _feed_path(client, f"{API}/schedules/{sid}/calendar-feed", manager.auth)
    events = _events(client, path)
    now = clock.now()
    lo, hi = now - FEED_PAST, now + FEED_AHEAD
    shifts = final(db, sid, lo, hi)
    with db.unit_of_work(readonly=True) as uow:
        first, last = on_call(uow, sid, lo), on_call(uow, sid, hi - timedelta(microseconds=1))
    assert first is not None
    assert last is not None
    assert first.start < lo  # clipped by the window: the feed shows the true start
    names = {crew.alice: "Alice", crew.bob: "Bob", crew.carol: "Carol"}
    expected = [(_floor(s.start), _floor(s.end), f"On call: {names[s.user_id]}") for s in shifts]
    expected[0] = (_floor(first.start), expected[0][1], expected[0][2])
    expected[-1] = (expected[-1][0], _floor(last.end or hi), expected[-1][2])
    got = [(e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"])) for e in events]
    assert got == expected
    assert len({str(e["UID"]) for e in events}) == len(events)
    assert "On call: Carol" in {str(e["SUMMARY"]) for e in events}

    # A refresh an hour later: the same shifts keep the same UIDs.
    uids = {e.decoded("DTSTART"): str(e["UID"]) for e in events}
    clock.advance(H)
    again = {e.decoded("DTSTART"): str(e["UID"]) for e in _events(client, path)}
    common = uids.keys() & again.keys()
    assert len(common) >= len(uids) - 1
    assert all(uids[k] == again[k] for k in common)

    # Creating again gives the same feed back; revoking makes it 404.
    assert _feed_path(client, f"{API}/schedules/{sid}/calendar-feed", manager.auth) == path
    r = client.delete(f"{API}/schedules/{sid}/calendar-feed", headers=manager.auth)
    assert r.json()["revoked_at"] is not None
    assert client.get(path).status_code == 404
    assert client.get("/calendar/not-a-real-token-at-all-1234.ics").status_code == 404
    fresh = _feed_path(client, f"{API}/schedules/{sid}/calendar-feed", manager.auth)
    assert fresh != path
    assert client.get(fresh).status_code == 200


def test_user_feed_lists_their_shifts_across_schedules(
    client: TestClient, db: Database, crew: Crew
) -> None:
    weekly_schedule(db, crew, [crew.alice, crew.bob], name="Primary")
    nights, _ = weekly_schedule(db, crew, [crew.carol], name="Nights")
    with db.unit_of_work() as uow:
        changes.do_add_override(uow, SYSTEM, nights, OverrideCreate(
            user_id=crew.alice, start=MONDAY + days(3), end=MONDAY + days(3) + 8 * H))  # fmt: skip
        uow.commit()
    alice = make_person(db, "admin")  # an admin may make anyone's feed
    path = _feed_path(client, f"{API}/users/{crew.alice}/calendar-feed", alice.auth)
    events = _events(client, path)
    summaries = [str(e["SUMMARY"]) for e in events]
    assert summaries[:3] == ["On call: Primary", "On call: Nights", "On call: Primary"]
    assert set(summaries) == {"On call: Primary", "On call: Nights"}
    assert events[1].decoded("DTSTART") == MONDAY + days(3)


def test_feed_permissions(client: TestClient, db: Database, crew: Crew) -> None:
    sid, _ = weekly_schedule(db, crew, [crew.alice])
    viewer, responder = make_person(db, "viewer"), make_person(db, "responder")
    r = client.post(f"{API}/schedules/{sid}/calendar-feed", headers=viewer.auth)
    assert r.status_code == 403
    assert (
        client.post(f"{API}/schedules/{sid}/calendar-feed", headers=responder.auth).status_code
        == 201
    )
    assert (
        client.get(f"{API}/schedules/{sid}/calendar-feed", headers=responder.auth).status_code
        == 200
    )
    # A person's own feed: theirs; someone else's: not unless admin.
    r = client.post(f"{API}/users/{viewer.id}/calendar-feed", headers=viewer.auth)
    assert r.status_code == 201
    assert (
        client.get(f"{API}/users/{viewer.id}/calendar-feed", headers=responder.auth).status_code
        == 403
    )
    assert (
        client.delete(f"{API}/users/{viewer.id}/calendar-feed", headers=responder.auth).status_code
        == 403
    )
    assert (
        client.delete(f"{API}/users/{viewer.id}/calendar-feed", headers=viewer.auth).status_code
        == 200
    )
    assert (
        client.delete(f"{API}/users/{viewer.id}/calendar-feed", headers=viewer.auth).status_code
        == 404
    )
