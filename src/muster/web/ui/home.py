"""The home page: what needs attention, and where to start on an empty installation."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.accounts import service as accounts
from muster.domain.catalog import service as catalog
from muster.domain.events.service import recent_events
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(
    request: Request,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        teams = accounts.list_teams(uow, limit=500).items
        services = catalog.list_services(uow, limit=500).items
        users = accounts.list_users(uow, limit=500).items
        my_teams = [t for t in teams if any(m.user_id == caller.user.id for m in t.members)]
        activity = recent_events(uow, limit=15) if caller.actor.role.label == "admin" else []
        return render(
            request,
            "home.html",
            caller,
            teams=teams,
            services=services,
            users=users,
            my_teams=my_teams,
            activity=activity,
        )
