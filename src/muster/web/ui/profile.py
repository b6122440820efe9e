"""The signed-in person's own account: name, time zone, password and API tokens.

A new API token is shown once. To keep Post/Redirect/Get (so a reload never mints a
second token), the create action hands the token to the next page view in a short-lived,
signed, HTTP-only cookie scoped to /profile, which that view deletes as it shows it
(:class:`muster.web.ui.shown_once.ShownOnce`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.accounts import credentials
from muster.domain.accounts import service as accounts
from muster.domain.accounts.schemas import TokenCreate, UserUpdate
from muster.domain.events.actor import Role
from muster.errors import FieldError, InvalidInput, NotAuthenticated
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    pick,
    posted,
    see_other,
    time_zones,
)
from muster.web.ui.render import render
from muster.web.ui.shown_once import ShownOnce

router = APIRouter(include_in_schema=False)

NEW_TOKEN = ShownOnce("muster_new_token", salt="muster-new-token", path="/profile")
SAVED = {
    "account": "Your account was saved.",
    "password": "Your password was changed.",
    "revoked": "The token was revoked; it no longer works.",
}


@router.get("/profile")
def profile(
    request: Request,
    saved: str | None = None,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    new_token = NEW_TOKEN.take(request, ctx, caller)
    response = _page(request, caller, ctx, new_token=new_token, notice=SAVED.get(saved or ""))
    if NEW_TOKEN.cookie in request.cookies:
        NEW_TOKEN.forget(response)
    return response


def _page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    *,
    account: FormState | None = None,
    password: FormState | None = None,
    token: FormState | None = None,
    new_token: dict[str, Any] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        me = accounts.get_user(uow, caller.user.id)
        tokens = credentials.list_api_tokens(uow, caller.actor, me.id)
        account = account or blank_form("a", name=me.name, time_zone=me.time_zone)
        response = render(
            request,
            "profile.html",
            caller,
            status_code=status_code,
            me=me,
            tokens=tokens,
            now=uow.now,
            account=account,
            password=password or blank_form("p"),
            token=token or blank_form("t"),
            failed=next((f for f in (account, password, token) if f and f.problem), None),
            new_token=new_token,
            notice=notice,
            zones=time_zones(),
            is_admin=caller.actor.role >= Role.ADMIN,
        )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/profile")
def save_account(
    request: Request,
    caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(UserUpdate, pick(fields, ("name", "time_zone")))
        with ctx.db.unit_of_work() as uow:
            accounts.do_update_user(uow, caller.actor, caller.user.id, data)
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="a")
        return _page(request, caller, ctx, account=form, status_code=exc.status)
    return see_other("/profile?saved=account")


@router.post("/profile/password")
def change_password(
    request: Request,
    caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    new = fields.get("password", "")
    try:
        if new != fields.get("password_confirm", ""):
            raise InvalidInput(
                "the new passwords differ",
                errors=[FieldError("password_confirm", "does not match the new password")],
            )
        with ctx.db.unit_of_work() as uow:
            try:
                credentials.authenticate_password(
                    uow, caller.user.email, fields.get("current_password", "")
                )
            except NotAuthenticated:
                raise InvalidInput(
                    "your current password is not right",
                    errors=[FieldError("current_password", "does not match your password")],
                ) from None
            accounts.do_update_user(uow, caller.actor, caller.user.id, UserUpdate(password=new))
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="p")
        return _page(request, caller, ctx, password=form, status_code=exc.status)
    return see_other("/profile?saved=password")


@router.post("/profile/tokens")
def create_token(
    request: Request,
    caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        expires_at = _end_of_day(fields.get("expires_on", ""), caller.user.time_zone)
        data = parse_form(TokenCreate, {"name": fields.get("name", ""), "expires_at": expires_at})
        with ctx.db.unit_of_work() as uow:
            row, plaintext = credentials.do_create_api_token(
                uow, caller.actor, caller.user.id, data.name, data.expires_at
            )
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="t", renames={"expires_at": "expires_on"})
        return _page(request, caller, ctx, token=form, status_code=exc.status)
    return NEW_TOKEN.redirect(ctx, caller, "/profile#new-token", {"id": row.id, "token": plaintext})


def _end_of_day(value: str, zone: str) -> datetime | None:
    """The end of the day ``value`` (YYYY-MM-DD) in ``zone``; None when blank."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip()) + timedelta(days=1)
    except (ValueError, OverflowError):
        raise InvalidInput(
            "please correct the marked fields",
            errors=[FieldError("expires_on", "not a date (YYYY-MM-DD)")],
        ) from None
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


@router.post("/profile/tokens/{token_id}/revoke")
def revoke_token(
    token_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        credentials.do_revoke_api_token(uow, caller.actor, token_id)
        uow.commit()
    return see_other("/profile?saved=revoked")
