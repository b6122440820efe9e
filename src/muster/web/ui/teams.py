"""Teams: who responds together, their members and the services they own."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.db.pagination import MAX_LIMIT
from muster.db.uow import UnitOfWork
from muster.domain.accounts import service as accounts
from muster.domain.accounts.models import Team, User
from muster.domain.accounts.schemas import MemberAdd, TeamCreate, TeamUpdate
from muster.domain.catalog import service as catalog
from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.domain.events.service import events_for
from muster.domain.oncall.queries import on_call_everywhere
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    pick,
    posted,
    run_command,
    see_other,
)
from muster.web.ui.paging import PAGE_SIZE, page_links
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

FIELDS = ("name", "description")
MEMBER_ROLES = [("member", "member"), ("manager", "manager")]
SERVICES_SHOWN = 100


@router.get("/teams")
def list_teams(
    request: Request,
    archived: bool = False,
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = accounts.list_teams(uow, cursor=cursor, limit=PAGE_SIZE, archived=archived)
        return render(
            request,
            "teams_list.html",
            caller,
            teams=page.items,
            archived=archived,
            can_manage=caller.actor.role >= Role.MANAGER,
            **page_links("/teams", page, cursor, archived=archived),
        )


@router.get("/teams/new")
def new_team_page(request: Request, caller: Caller = Depends(ui_caller(Role.MANAGER))) -> Response:
    return _form_page(request, caller, blank_form(), team=None)


@router.post("/teams/new")
def create_team(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(TeamCreate, pick(fields, FIELDS))
        team = run_command(ctx, accounts.do_create_team, caller.actor, data)
    except (InvalidInput, Conflict) as exc:
        return _form_page(
            request, caller, failed_form(fields, exc), team=None, status_code=exc.status
        )
    return see_other(f"/teams/{team.id}")


@router.get("/teams/{team_id}")
def show_team(
    request: Request,
    team_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return _show(request, caller, ctx, team_id, blank_form("m", role="member"))


def _show(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    team_id: str,
    member_form: FormState,
    *,
    status_code: int = 200,
) -> Response:
    can_manage = caller.actor.role >= Role.MANAGER
    with ctx.db.unit_of_work(readonly=True) as uow:
        team = accounts.get_team(uow, team_id)
        members = sorted(team.members, key=lambda m: m.user.name.lower())
        services = catalog.list_services(uow, team_id=team.id, limit=SERVICES_SHOWN)
        taken = {m.user_id for m in members}
        candidates = [u for u in active_users(uow) if u.id not in taken] if can_manage else []
        return render(
            request,
            "teams_show.html",
            caller,
            status_code=status_code,
            team=team,
            members=members,
            services=services.items,
            more_services=services.next_cursor is not None,
            candidates=[(u.id, f"{u.name} ({u.email})") for u in candidates],
            member_roles=MEMBER_ROLES,
            member_form=member_form,
            activity=events_for(uow, "team", team.id),
            oncall_now=on_call_everywhere(uow, uow.now, team_id=team.id),
            oncall_team=team.id,
            can_manage=can_manage,
        )


def active_users(uow: UnitOfWork) -> list[User]:
    """Every active user, by email: the choices for a member <select>."""
    users: list[User] = []
    cursor: str | None = None
    while True:
        page = accounts.list_users(uow, cursor=cursor, limit=MAX_LIMIT)
        users.extend(page.items)
        if page.next_cursor is None:
            return users
        cursor = page.next_cursor


@router.get("/teams/{team_id}/edit")
def edit_team_page(
    request: Request,
    team_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        team = accounts.get_team(uow, team_id)
        form = blank_form(name=team.name, description=team.description)
        managed = "team" if is_managed(uow, "teams", team.id) else ""
        return _form_page(request, caller, form, team=team, managed=managed)


@router.post("/teams/{team_id}/edit")
def edit_team(
    request: Request,
    team_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(TeamUpdate, pick(fields, FIELDS))
        run_command(ctx, accounts.do_update_team, caller.actor, team_id, data)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            team = accounts.get_team(uow, team_id)
            form = failed_form(fields, exc)
            managed = "team" if is_managed(uow, "teams", team.id) else ""
            return _form_page(request, caller, form, team=team, managed=managed,
                              status_code=exc.status)  # fmt: skip
    return see_other(f"/teams/{team_id}")


@router.post("/teams/{team_id}/archive")
def archive_team(
    team_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, accounts.do_archive_team, caller.actor, team_id)
    return see_other(f"/teams/{team_id}")


@router.post("/teams/{team_id}/members")
def add_member(
    request: Request,
    team_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Add a member, or change a member's role (the same command)."""
    try:
        data = parse_form(MemberAdd, pick(fields, ("user_id", "role")))
        run_command(ctx, accounts.do_add_team_member, caller.actor, team_id, data)
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="m")
        return _show(request, caller, ctx, team_id, form, status_code=exc.status)
    return see_other(f"/teams/{team_id}#members")


@router.post("/teams/{team_id}/members/{user_id}/remove")
def remove_member(
    team_id: str,
    user_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, accounts.do_remove_team_member, caller.actor, team_id, user_id)
    return see_other(f"/teams/{team_id}#members")


def _form_page(
    request: Request,
    caller: Caller,
    form: FormState,
    *,
    team: Team | None,
    status_code: int = 200,
    managed: str = "",
) -> Response:
    return render(
        request, "teams_form.html", caller, status_code=status_code, form=form, team=team,
        managed=managed,
    )  # fmt: skip
