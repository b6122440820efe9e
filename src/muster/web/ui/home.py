"""The home page: what needs attention, and where to start on an empty installation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.pagination import Page
from muster.domain.accounts import service as accounts
from muster.domain.catalog import service as catalog
from muster.domain.events.service import recent_events
from muster.domain.notify.health import channel_problems
from muster.domain.oncall.queries import on_call_page
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

# "At a glance" counts up to this many of each kind, then says "100+": the page stays
# fast however large the installation grows.
GLANCE = 100


def _count(page: Page[Any]) -> str:
    return f"{len(page.items)}+" if page.next_cursor else str(len(page.items))


@router.get("/")
def home(
    request: Request,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        teams = accounts.list_teams(uow, limit=GLANCE)
        services = catalog.list_services(uow, limit=GLANCE)
        users = accounts.list_users(uow, limit=GLANCE)
        me = accounts.get_user(uow, caller.user.id)
        my_teams = sorted(
            (m.team for m in me.memberships if m.team.archived_at is None),
            key=lambda t: t.name.lower(),
        )
        activity = recent_events(uow, limit=15) if caller.actor.role.label == "admin" else []
        return render(
            request,
            "home.html",
            caller,
            teams=teams.items,
            services=services.items,
            users=users.items,
            counts={"teams": _count(teams), "services": _count(services), "people": _count(users)},
            my_teams=my_teams,
            activity=activity,
            channel_problems=channel_problems(uow, uow.now),
            oncall_now=on_call_page(uow, uow.now, limit=GLANCE).items,
        )
