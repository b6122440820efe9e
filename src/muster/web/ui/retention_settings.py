"""/settings/retention: days kept per kind, the legal holds that override them, and what
the recent retention passes removed (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.compliance.legal_hold import held_incident_ids
from muster.domain.events.actor import Role
from muster.domain.retention.policies import (
    PolicyIn,
    do_reset_policy,
    do_set_policy,
    list_policies,
)
from muster.domain.retention.run import recent_runs
from muster.errors import InvalidInput
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
PAGE = "/settings/retention"


def _page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    *,
    failed: tuple[str, FormState] | None = None,
    status_code: int = 200,
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        policies = list_policies(uow, evidence_default=ctx.settings.evidence.retention_days)
        forms = {p.kind: blank_form(prefix=p.kind, days=str(p.days)) for p in policies}
        if failed is not None and failed[0] in forms:
            forms[failed[0]] = failed[1]
        return render(
            request,
            "retention_settings.html",
            caller,
            status_code=status_code,
            policies=policies,
            forms=forms,
            problem=failed[1].problem if failed and failed[0] not in forms else None,
            held=len(held_incident_ids(uow)),
            runs=recent_runs(uow, 10),
            env_days=ctx.settings.evidence.retention_days,
        )


@router.get(PAGE)
def retention_settings(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    return _page(request, caller, ctx)


@router.post(PAGE + "/{kind}")
def set_policy(
    request: Request,
    kind: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(PolicyIn, {"days": fields.get("days", "").strip()})
        run_command(ctx, do_set_policy, caller.actor, kind, data)
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix=kind)
        return _page(request, caller, ctx, failed=(kind, form), status_code=exc.status)
    return see_other(PAGE)


@router.post(PAGE + "/{kind}/reset")
def reset_policy(
    kind: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, do_reset_policy, caller.actor, kind)
    return see_other(PAGE)
