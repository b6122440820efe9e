"""On-call schedules: the list with who is on call now, a schedule's timeline and its
settings. Forms for layers live in :mod:`.schedule_layers`; overrides, swaps, temporary
schedules and the calendar feed in :mod:`.schedule_changes`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.domain.events.service import events_for
from muster.domain.oncall import feeds, queries
from muster.domain.oncall import overrides as changes
from muster.domain.oncall import service as oncall
from muster.domain.oncall.load import get_schedule, get_schedules
from muster.domain.oncall.schemas import OnCallOut, RestrictionOut, ScheduleCreate, ScheduleUpdate
from muster.domain.oncall.views import schedule_out, temporary_out, user_names
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui import timeline
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    pick,
    posted,
    run_command,
    see_other,
    time_zones,
)
from muster.web.ui.paging import PAGE_SIZE, list_url, page_links
from muster.web.ui.render import render
from muster.web.ui.schedule_input import next_hour
from muster.web.ui.services import team_options
from muster.web.ui.teams import active_users

router = APIRouter(include_in_schema=False)

FIELDS = ("name", "team_id", "time_zone", "description")
DEFAULT_DAYS = 14
MAX_DAYS = 56
HISTORY = 50
DASH = "\u2013"
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def oncall_now(uow: UnitOfWork, *, team_id: str | None = None) -> list[OnCallOut]:
    """Who is on call now for every active schedule (of a team): the home page's and a
    team page's "On call now" (``_oncall_now.html``)."""
    return queries.on_call_everywhere(uow, uow.now, team_id=team_id)


@router.get("/schedules")
def list_schedules(
    request: Request,
    archived: bool = False,
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = oncall.list_schedules(uow, cursor=cursor, limit=PAGE_SIZE, archived=archived)
        full = get_schedules(uow, [s.id for s in page.items])  # layers in one go
        now = {row.schedule_id: row for row in queries.on_call_out(uow, full, uow.now)}
        return render(
            request,
            "schedules_list.html",
            caller,
            schedules=page.items,
            now=now,
            archived=archived,
            can_manage=caller.actor.role >= Role.MANAGER,
            **page_links("/schedules", page, cursor, archived=archived),
        )


@router.get("/schedules/new")
def new_schedule_page(
    request: Request,
    team_id: str = Query("", max_length=36),
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    form = blank_form(team_id=team_id, time_zone=caller.user.time_zone)
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _form_page(request, caller, uow, form, schedule=None)


@router.post("/schedules/new")
def create_schedule(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(ScheduleCreate, pick(fields, FIELDS))
        schedule = run_command(ctx, oncall.do_create_schedule, caller.actor, data)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            form = failed_form(fields, exc)
            return _form_page(request, caller, uow, form, schedule=None, status_code=exc.status)
    return see_other(f"/schedules/{schedule.id}")


@router.get("/schedules/{schedule_id}")
def show_schedule(
    request: Request,
    schedule_id: str,
    start: date | None = None,
    days: int = Query(DEFAULT_DAYS, ge=1, le=MAX_DAYS),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return show_page(request, caller, ctx, schedule_id, start=start, days=days)


def show_page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    schedule_id: str,
    *,
    start: date | None = None,
    days: int = DEFAULT_DAYS,
    status_code: int = 200,
    **forms: FormState,
) -> Response:
    """The schedule page; ``forms`` (override, swap) replace the blank ones after an error."""
    viewer = ZoneInfo(caller.user.time_zone)
    with ctx.db.unit_of_work(readonly=True) as uow:
        now = uow.now
        schedule = get_schedule(uow, schedule_id)
        first_day = start or now.astimezone(viewer).date()
        lo, hi = timeline.window(first_day, days, viewer)
        out = schedule_out(uow, schedule, now)
        shifts = queries.schedule_shifts(uow, schedule.id, lo, hi)
        order = [p for layer in out.layers if layer.rotation for p in layer.rotation.participants]
        upcoming = changes.list_overrides(uow, schedule.id, now, now + timedelta(days=365))
        temporaries = changes.list_temporary(uow, schedule.id, now)
        can_manage = caller.actor.role >= Role.MANAGER and schedule.archived_at is None
        feed = None
        if caller.actor.role >= Role.RESPONDER:
            row = feeds.active_feed(uow, "schedule", schedule.id)
            feed = feeds.feed_out(row, ctx.settings.base_url) if row else None
        names = user_names(uow, (sh["user_id"] for t in temporaries for sh in t.shifts))
        context: dict[str, Any] = {
            "schedule": schedule,
            "out": out,
            "on_call": queries.on_call_out(uow, [schedule], now)[0],
            "gaps_ahead": queries.schedule_shifts(
                uow, schedule.id, now, now + timedelta(days=7)
            ).gaps,
            "shifts": shifts,
            "tl": timeline.build(shifts, viewer, now, order),
            "tl_nav": _nav(schedule.id, first_day, days, now.astimezone(viewer).date()),
            "days": days,
            "overrides": changes.overrides_out(uow, upcoming),
            "temporaries": [temporary_out(t, names) for t in temporaries],
            "feed": feed,
            "people": [(u.id, f"{u.name} ({u.email})") for u in active_users(uow)]
            if can_manage
            else [],
            "can_manage": can_manage,
            "can_feed": caller.actor.role >= Role.RESPONDER and schedule.archived_at is None,
            "activity": events_for(uow, "schedule", schedule.id, limit=HISTORY),
            "override_form": forms.get("override_form") or _blank_override(now, viewer),
            "swap_form": forms.get("swap_form") or blank_form("s"),
            "restriction_text": restriction_text,
        }
        return render(request, "schedules_show.html", caller, status_code=status_code, **context)


def restriction_text(windows: list[RestrictionOut]) -> str:
    """Like ``Mon-Fri 09:00-17:00; Sat, Sun 10:00-14:00`` (with en dashes)."""
    parts = []
    for w in windows:
        days = sorted(w.days)
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            names = f"{DAY_NAMES[days[0]]}{DASH}{DAY_NAMES[days[-1]]}"
        else:
            names = ", ".join(DAY_NAMES[d] for d in days)
        parts.append(f"{names} {w.start}{DASH}{w.end}")
    return "; ".join(parts)


def _blank_override(now: Any, zone: ZoneInfo) -> FormState:
    return blank_form("o", start=next_hour(now, zone), end=next_hour(now, zone, 12))


def _nav(schedule_id: str, first_day: date, days: int, today: date) -> dict[str, str]:
    base = f"/schedules/{schedule_id}"

    def url(day: date) -> str:
        return list_url(
            base, start=day.isoformat(), days=str(days) if days != DEFAULT_DAYS else None
        )

    step = timedelta(days=max(1, days // 2 if days > 7 else days))
    return {
        "prev": url(first_day - step),
        "next": url(first_day + step),
        "today": list_url(base, days=str(days) if days != DEFAULT_DAYS else None),
        "week": list_url(base, start=first_day.isoformat(), days="7"),
        "fortnight": list_url(base, start=first_day.isoformat()),
        "month": list_url(base, start=first_day.isoformat(), days="28"),
        "is_today": "1" if first_day == today else "",
    }


@router.get("/schedules/{schedule_id}/edit")
def edit_schedule_page(
    request: Request,
    schedule_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        schedule = get_schedule(uow, schedule_id)
        form = blank_form(**{name: str(getattr(schedule, name)) for name in ("name", "team_id", "description")},
                          time_zone=schedule.time_zone)  # fmt: skip
        return _form_page(request, caller, uow, form, schedule=schedule)


@router.post("/schedules/{schedule_id}/edit")
def edit_schedule(
    request: Request,
    schedule_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(ScheduleUpdate, pick(fields, FIELDS))
        run_command(ctx, oncall.do_update_schedule, caller.actor, schedule_id, data)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            schedule = get_schedule(uow, schedule_id)
            form = failed_form(fields, exc)
            return _form_page(request, caller, uow, form, schedule=schedule, status_code=exc.status)
    return see_other(f"/schedules/{schedule_id}")


@router.post("/schedules/{schedule_id}/archive")
def archive_schedule(
    schedule_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, oncall.do_archive_schedule, caller.actor, schedule_id)
    return see_other(f"/schedules/{schedule_id}")


def _form_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    form: FormState,
    *,
    schedule: Any,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "schedules_form.html",
        caller,
        status_code=status_code,
        form=form,
        schedule=schedule,
        teams=team_options(uow, schedule.team_id if schedule else None),
        zones=time_zones(),
        managed="schedule" if schedule and is_managed(uow, "schedules", schedule.id) else "",
    )
