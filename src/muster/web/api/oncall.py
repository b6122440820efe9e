"""Who is on call, shifts and gaps (/api/v1/oncall, /schedules/{id}/on-call, /shifts,
/gaps, /users/{id}/shifts) and the calendar feeds' secret URLs."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from muster.domain.events.actor import Role
from muster.domain.oncall import feeds, queries
from muster.domain.oncall.schemas import FeedOut, GapOut, OnCallOut, ShiftsOut, UserShiftOut
from muster.errors import NotFound
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["on-call"], responses=PROBLEM_RESPONSES)
VIEWER = Depends(api_caller(Role.VIEWER))
CTX = Depends(app_context)
DEFAULT_DAYS = 14
AT = Query(None, description="RFC 3339 instant (default now)")


@router.get(
    "/oncall",
    response_model=ListOut[OnCallOut],
    summary="Who is on call at an instant, for every active schedule (by name)",
)
def on_call_everywhere(
    at: AwareDatetime | None = AT,
    team_id: str | None = Query(None, max_length=36),
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ListOut[OnCallOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = queries.on_call_page(uow, at or uow.now, cursor=cursor, limit=limit, team_id=team_id)
        return ListOut(items=list(page.items), next_cursor=page.next_cursor)


@router.get(
    "/schedules/{schedule_id}/on-call",
    response_model=OnCallOut,
    summary="Who is on call for a schedule at an instant",
)
def on_call(
    schedule_id: str, at: AwareDatetime | None = AT, caller: Caller = VIEWER, ctx: AppContext = CTX
) -> OnCallOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return queries.who_is_on_call(uow, schedule_id, at or uow.now)


@router.get(
    "/schedules/{schedule_id}/shifts",
    response_model=ShiftsOut,
    summary="Final shifts over [start, end) with gaps, and each layer's own shifts "
    "(default: the next 14 days)",
)
def shifts(
    schedule_id: str,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ShiftsOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        lo = start or uow.now
        return queries.schedule_shifts(
            uow, schedule_id, lo, end or lo + timedelta(days=DEFAULT_DAYS)
        )


@router.get(
    "/schedules/{schedule_id}/gaps",
    response_model=ListOut[GapOut],
    summary="Stretches with nobody on call in the next N days",
)
def gaps(
    schedule_id: str,
    days: int = Query(7, ge=1, le=queries.MAX_GAP_DAYS),
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ListOut[GapOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=queries.upcoming_gaps(uow, schedule_id, uow.now, days))


@router.get(
    "/users/{user_id}/shifts",
    response_model=ListOut[UserShiftOut],
    summary="A person's final shifts across schedules over [start, end) (default: the next "
    "14 days)",
)
def user_shifts(
    user_id: str,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ListOut[UserShiftOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        lo = start or uow.now
        items = queries.user_shifts(uow, user_id, lo, end or lo + timedelta(days=DEFAULT_DAYS))
        return ListOut(items=items)


# ---------------------------------------------------------------- calendar feeds

FEED_DOC = (
    "The secret iCalendar URL (30 days back to 180 days ahead); whoever has it can read "
    "the calendar"
)


def _feed_routes(kind: feeds.FeedKind, path: str, who: str) -> None:
    @router.get(path, response_model=FeedOut, summary=f"The {who}'s active calendar feed",
                description=FEED_DOC, operation_id=f"get_{kind}_calendar_feed")  # fmt: skip
    def show(subject_id: str, caller: Caller = VIEWER, ctx: AppContext = CTX) -> FeedOut:
        with ctx.db.unit_of_work(readonly=True) as uow:
            feeds.check_feed_subject(uow, caller.actor, kind, subject_id)
            feed = feeds.active_feed(uow, kind, subject_id)
            if feed is None:
                raise NotFound("there is no active calendar feed; create one")
            return feeds.feed_out(feed, ctx.settings.base_url)

    @router.post(path, response_model=FeedOut, status_code=201,
                 responses={200: {"model": FeedOut, "description": "Already active"}},
                 summary=f"Create the {who}'s calendar feed (or get the active one: 200)",
                 description=FEED_DOC, operation_id=f"create_{kind}_calendar_feed")  # fmt: skip
    def create(
        subject_id: str, response: Response, caller: Caller = VIEWER, ctx: AppContext = CTX
    ) -> FeedOut:
        with ctx.db.unit_of_work() as uow:
            feed, created = feeds.do_create_feed(uow, caller.actor, kind, subject_id)
            uow.commit()
        if not created:
            response.status_code = 200
        return feeds.feed_out(feed, ctx.settings.base_url)

    @router.delete(path, response_model=FeedOut, summary=f"Revoke the {who}'s calendar feed",
                   operation_id=f"revoke_{kind}_calendar_feed")  # fmt: skip
    def revoke(subject_id: str, caller: Caller = VIEWER, ctx: AppContext = CTX) -> FeedOut:
        with ctx.db.unit_of_work() as uow:
            feed = feeds.do_revoke_feed(uow, caller.actor, kind, subject_id)
            uow.commit()
        return feeds.feed_out(feed, ctx.settings.base_url)


_feed_routes("schedule", "/schedules/{subject_id}/calendar-feed", "schedule")
_feed_routes("user", "/users/{subject_id}/calendar-feed", "person")
