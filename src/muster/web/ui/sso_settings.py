"""/settings/sso: the OIDC provider as configured (never its secret) and the group rules
that map provider groups to Muster roles and teams (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.accounts import service as accounts
from muster.domain.accounts import sso
from muster.domain.accounts.sso_rules import (
    GroupRuleIn,
    do_create_group_rule,
    do_delete_group_rule,
    do_update_group_rule,
    get_group_rule,
)
from muster.domain.events.actor import Role
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted,
    run_command,
    see_other,
)
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

FIELDS = ("group_name", "team_id", "team_role", "account_role", "position")
ACCOUNT_ROLES = [(r, r) for r in ("viewer", "responder", "manager", "admin")]
TEAM_ROLES = [("member", "member"), ("manager", "manager")]
PAGE = "/settings/sso"


def _rule_input(fields: dict[str, str]) -> GroupRuleIn:
    data = {k: v.strip() for k, v in fields.items() if k in FIELDS and v.strip()}
    return parse_form(GroupRuleIn, data)


def _page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    form: FormState,
    *,
    rule_id: str | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rules = sso.list_group_rules(uow)
        teams = accounts.list_teams(uow, limit=500).items
        return render(
            request,
            "sso_settings.html",
            caller,
            status_code=status_code,
            sso=ctx.settings.sso,
            rules=rules,
            team_names={t.id: t.name for t in teams},
            team_options=[(t.id, t.name) for t in teams],
            account_roles=ACCOUNT_ROLES,
            team_roles=TEAM_ROLES,
            form=form,
            rule_id=rule_id,
        )


@router.get(PAGE)
def sso_settings(
    request: Request,
    edit: str | None = None,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    form = blank_form(position="0")
    if edit:
        with ctx.db.unit_of_work(readonly=True) as uow:
            rule = get_group_rule(uow, edit)
            form = blank_form(**{f: str(getattr(rule, f) or "") for f in FIELDS})
    return _page(request, caller, ctx, form, rule_id=edit)


@router.post(f"{PAGE}/rules")
def create_rule(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = _rule_input(fields)
        run_command(ctx, do_create_group_rule, caller.actor, data)
    except (InvalidInput, Conflict) as exc:
        return _page(request, caller, ctx, failed_form(fields, exc), status_code=exc.status)
    return see_other(PAGE)


@router.post(PAGE + "/rules/{rule_id}")
def update_rule(
    request: Request,
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = _rule_input(fields)
        run_command(ctx, do_update_group_rule, caller.actor, rule_id, data)
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc)
        return _page(request, caller, ctx, form, rule_id=rule_id, status_code=exc.status)
    return see_other(PAGE)


@router.post(PAGE + "/rules/{rule_id}/delete")
def delete_rule(
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, do_delete_group_rule, caller.actor, rule_id)
    return see_other(PAGE)
