"""People: who can sign in, with which role and time zone, and what happened to them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.domain.accounts import service as accounts
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require_self_or
from muster.domain.accounts.schemas import UserCreate, UserUpdate
from muster.domain.events.actor import Role
from muster.domain.events.service import events_for
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
    time_zones,
)
from muster.web.ui.paging import PAGE_SIZE, page_links
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

ROLES = [
    ("viewer", "viewer: reads everything"),
    ("responder", "responder: acts on alerts and incidents"),
    ("manager", "manager: teams, services, schedules"),
    ("admin", "admin: people, settings, audit log"),
]


@router.get("/users")
def list_users(
    request: Request,
    archived: bool = False,
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = accounts.list_users(uow, cursor=cursor, limit=PAGE_SIZE, archived=archived)
        return render(
            request,
            "users_list.html",
            caller,
            users=page.items,
            archived=archived,
            can_admin=caller.actor.role >= Role.ADMIN,
            **page_links("/users", page, cursor, archived=archived),
        )


@router.get("/users/new")
def new_user_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
) -> Response:
    form = blank_form(role="responder", time_zone=caller.user.time_zone)
    return _form_page(request, caller, form, user=None)


@router.post("/users/new")
def create_user(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(
            UserCreate, pick(fields, ("email", "name", "role", "time_zone", "password"))
        )
        user = run_command(ctx, accounts.do_create_user, caller.actor, data)
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc)
        return _form_page(request, caller, form, user=None, status_code=exc.status)
    return see_other(f"/users/{user.id}")


@router.get("/users/{user_id}")
def show_user(
    request: Request,
    user_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return _show(request, caller, ctx, user_id)


def _show(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    user_id: str,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    is_admin = caller.actor.role >= Role.ADMIN
    with ctx.db.unit_of_work(readonly=True) as uow:
        user = accounts.get_user(uow, user_id)
        memberships = sorted(user.memberships, key=lambda m: m.team.name.lower())
        return render(
            request,
            "users_show.html",
            caller,
            status_code=status_code,
            user=user,
            memberships=memberships,
            activity=events_for(uow, "user", user.id),
            can_edit=is_admin or user.id == caller.user.id,
            can_archive=is_admin and user.archived_at is None and user.id != caller.user.id,
            problem=problem,
        )


@router.get("/users/{user_id}/edit")
def edit_user_page(
    request: Request,
    user_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    require_self_or(caller.actor, user_id, Role.ADMIN)
    with ctx.db.unit_of_work(readonly=True) as uow:
        user = accounts.get_user(uow, user_id)
        form = blank_form(name=user.name, time_zone=user.time_zone, role=user.role)
        return _form_page(request, caller, form, user=user)


@router.post("/users/{user_id}/edit")
def edit_user(
    request: Request,
    user_id: str,
    caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    # Only an admin sets someone's password here; people change their own on /profile,
    # where the current password is asked for.
    names = ["name", "time_zone", "role"]
    if caller.actor.role >= Role.ADMIN:
        names.append("password")
    try:
        data = parse_form(UserUpdate, pick(fields, names, optional=("role", "password")))
        run_command(ctx, accounts.do_update_user, caller.actor, user_id, data)
    except (InvalidInput, Conflict) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            user = accounts.get_user(uow, user_id)
            form = failed_form(fields, exc)
            return _form_page(request, caller, form, user=user, status_code=exc.status)
    return see_other(f"/users/{user_id}")


@router.post("/users/{user_id}/archive")
def archive_user(
    request: Request,
    user_id: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        run_command(ctx, accounts.do_archive_user, caller.actor, user_id)
    except Conflict as exc:
        return _show(request, caller, ctx, user_id, problem=exc.detail, status_code=exc.status)
    return see_other(f"/users/{user_id}")


def _form_page(
    request: Request,
    caller: Caller,
    form: FormState,
    *,
    user: User | None,
    status_code: int = 200,
) -> Response:
    """The new-user form (``user`` None) or the edit form for ``user``."""
    return render(
        request,
        "users_form.html",
        caller,
        status_code=status_code,
        form=form,
        user=user,
        roles=ROLES,
        zones=time_zones(),
        is_admin=caller.actor.role >= Role.ADMIN,
    )
