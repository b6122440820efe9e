"""Calendar feeds: a secret URL per schedule or person, serving the final shifts as
iCalendar (30 days back to 180 days ahead). The token in the URL is the credential, so
a feed can be revoked; creating one while another is active gives that one back.

Who may: anyone responder or above for a schedule's feed; a person for their own feed
(admins for anyone's). Event UIDs depend on who, which source and the shift's true
start, so they stay the same from one refresh to the next.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require, require_self_or
from muster.domain.accounts.service import get_user
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.oncall import resolve
from muster.domain.oncall.ical import CalendarEvent, calendar, utc_stamp
from muster.domain.oncall.load import get_schedule, get_schedules, load_spec, on_call_many
from muster.domain.oncall.models import CalendarFeed, Schedule
from muster.domain.oncall.queries import schedules_of_user
from muster.domain.oncall.schemas import FeedOut
from muster.domain.oncall.spec import OnCall, Shift
from muster.domain.oncall.views import UNKNOWN, split_source, user_names
from muster.errors import NotFound

FeedKind = Literal["schedule", "user"]
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
_TICK = timedelta(microseconds=1)
_SOURCE_WORDS = {"layer": "rotation", "override": "override", "temporary": "temporary schedule"}


def check_feed_subject(uow: UnitOfWork, actor: Actor, kind: FeedKind, subject_id: str) -> None:
    """The subject exists and ``actor`` may manage (and read the URL of) its feed."""
    if kind == "schedule":
        get_schedule(uow, subject_id)
        require(actor, Role.RESPONDER)
    else:
        get_user(uow, subject_id)
        require_self_or(actor, subject_id, Role.ADMIN)


def active_feed(uow: UnitOfWork, kind: FeedKind, subject_id: str) -> CalendarFeed | None:
    return uow.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.kind == kind,
            CalendarFeed.subject_id == subject_id,
            CalendarFeed.revoked_at.is_(None),
        )
    )


def do_create_feed(
    uow: UnitOfWork, actor: Actor, kind: FeedKind, subject_id: str
) -> tuple[CalendarFeed, bool]:
    """The subject's active feed, made now if there is none; ``(feed, created)``."""
    check_feed_subject(uow, actor, kind, subject_id)
    feed = active_feed(uow, kind, subject_id)
    if feed is not None:
        return feed, False
    feed = CalendarFeed(
        token=secrets.token_urlsafe(32), kind=kind, subject_id=subject_id, created_at=uow.now
    )
    uow.session.add(feed)
    uow.flush()
    append_event(uow, actor, f"{kind}.calendar_feed_created", subject_type=kind,
                 subject_id=subject_id, data={"feed_id": feed.id})  # fmt: skip
    return feed, True


def do_revoke_feed(uow: UnitOfWork, actor: Actor, kind: FeedKind, subject_id: str) -> CalendarFeed:
    """Revoke the subject's active feed: its URL answers 404 from now on."""
    check_feed_subject(uow, actor, kind, subject_id)
    feed = active_feed(uow, kind, subject_id)
    if feed is None:
        raise NotFound("there is no active calendar feed to revoke")
    feed.revoked_at = uow.now
    append_event(uow, actor, f"{kind}.calendar_feed_revoked", subject_type=kind,
                 subject_id=subject_id, data={"feed_id": feed.id})  # fmt: skip
    return feed


def feed_url(base_url: str, feed: CalendarFeed) -> str:
    return f"{base_url.rstrip('/')}/calendar/{feed.token}.ics"


def feed_out(feed: CalendarFeed, base_url: str) -> FeedOut:
    return FeedOut(
        id=feed.id,
        kind=feed.kind,
        subject_id=feed.subject_id,
        url=feed_url(base_url, feed),
        created_at=feed.created_at,
        revoked_at=feed.revoked_at,
    )


# ---------------------------------------------------------------- the feed itself


def render_feed(uow: UnitOfWork, token: str, now: datetime) -> tuple[str, str]:
    """``(file name, iCalendar text)`` for an active feed's token; NotFound otherwise
    (unknown, revoked, or its subject archived)."""
    feed = uow.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None or feed.revoked_at is not None:
        raise NotFound("no such calendar feed")
    lo, hi = now - FEED_PAST, now + FEED_AHEAD
    if feed.kind == "schedule":
        schedule = get_schedule(uow, feed.subject_id)
        if schedule.archived_at is not None:
            raise NotFound("no such calendar feed")
        shifts = true_shifts(
            uow, schedule, resolve.final_shifts(load_spec(uow, schedule, lo, hi), lo, hi), lo, hi
        )
        names = user_names(uow, (x.user_id for x in shifts))
        events = [_event(schedule, x, names, for_user=False) for x in shifts]
        return _file_name(schedule.name), calendar(f"On call: {schedule.name}", _valid(events), now)
    user = uow.session.get(User, feed.subject_id)
    if user is None or user.archived_at is not None:
        raise NotFound("no such calendar feed")
    events = []
    for schedule in get_schedules(uow, schedules_of_user(uow, user.id, lo, hi)):
        if schedule.archived_at is not None:
            continue
        mine = resolve.user_shifts(load_spec(uow, schedule, lo, hi), user.id, lo, hi)
        shifts = true_shifts(uow, schedule, mine, lo, hi)
        events += [_event(schedule, x, {user.id: user.name}, for_user=True) for x in shifts]
    events.sort(key=lambda e: e.start)
    return _file_name(user.name), calendar(f"On call: {user.name}", _valid(events), now)


def true_shifts(
    uow: UnitOfWork, schedule: Schedule, shifts: Sequence[Shift], lo: datetime, hi: datetime
) -> list[Shift]:
    """``shifts`` (final shifts clipped to ``[lo, hi)``) with the first and last given
    their true start and end: a subscriber's calendar should not see a shift begin
    anew each day as the window moves."""
    out = list(shifts)
    if out and out[0].start == lo:
        out[0] = _widen(out[0], on_call_many(uow, [schedule], lo)[schedule.id], end=False)
    if out and out[-1].end == hi:
        out[-1] = _widen(out[-1], on_call_many(uow, [schedule], hi - _TICK)[schedule.id], end=True)
    return out


def _widen(shift: Shift, answer: OnCall | None, *, end: bool) -> Shift:
    if answer is None or (answer.user_id, answer.source) != (shift.user_id, shift.source):
        return shift
    if end:
        return Shift(shift.user_id, shift.start, answer.end or shift.end, shift.source)
    return Shift(shift.user_id, answer.start, shift.end, shift.source)


def _event(
    schedule: Schedule, shift: Shift, names: dict[str, str], *, for_user: bool
) -> CalendarEvent:
    person = names.get(shift.user_id, UNKNOWN)
    kind, _ = split_source(shift.source)
    key = f"{schedule.id}|{shift.user_id}|{shift.source}|{shift.start.isoformat()}"
    uid = hashlib.sha256(key.encode()).hexdigest()[:32] + "@muster"
    summary = f"On call: {schedule.name}" if for_user else f"On call: {person}"
    description = f"{person} is on call for {schedule.name} ({_SOURCE_WORDS.get(kind, kind)})."
    return CalendarEvent(uid, shift.start, shift.end, summary, description)


def _valid(events: list[CalendarEvent]) -> list[CalendarEvent]:
    """Events that still last at least a second at the feed's precision."""
    return [e for e in events if utc_stamp(e.start) < utc_stamp(e.end)]


def _file_name(name: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return f"{safe or 'on-call'}.ics"
