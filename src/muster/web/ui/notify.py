"""/profile/notifications: the signed-in person's contact methods (add, verify with a
code, test, remove), their notification rules per urgency, and what to fix."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.events.actor import Role
from muster.domain.notify import service as notify
from muster.domain.notify.addresses import masked
from muster.domain.notify.models import ContactMethod
from muster.domain.notify.plan import URGENCIES, warnings_for
from muster.domain.notify.schemas import CodeIn, MethodCreate, RuleCreate
from muster.errors import MusterError
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
)
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/profile/notifications"
TYPES = [("email", "Email"), ("sms", "SMS"), ("voice", "Voice call"), ("push", "Push (ntfy)"),
         ("chat", "Chat (Apprise URL)"),
         ("webhook", "Webhook")]  # fmt: skip
SAVED = {
    "added": "Contact method added. Send yourself a code to verify it.",
    "code": "A code is on its way. Enter it below within 10 minutes.",
    "verified": "Verified: pages can reach you there now.",
    "test": "A test message is on its way.",
    "removed": "Contact method removed.",
    "rule": "Rule added.",
    "rule_removed": "Rule removed.",
}


def _page(
    request: Request, caller: Caller, ctx: AppContext, *, method: FormState | None = None,
    rule: FormState | None = None, code: FormState | None = None, notice: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    me = caller.user.id
    with ctx.db.unit_of_work(readonly=True) as uow:
        methods = list(notify.list_methods(uow, caller.actor, me))
        rules = notify.list_rules(uow, caller.actor, me)
        views, rule_views = notify.views(uow, me)
        effective = {u: notify.effective_steps(uow, me, u) for u in URGENCIES}
        response = render(
            request, "profile_notifications.html", caller, status_code=status_code,
            methods=methods, rules=rules, effective=effective, names=_names(methods),
            warnings=warnings_for(views, rule_views), types=TYPES, now=uow.now,
            method_form=method or blank_form("m"), rule_form=rule or blank_form("r", delay_minutes="0"),
            code_form=code or blank_form("c"), notice=notice, account_email=caller.user.email,
            failed=next((f for f in (method, rule, code) if f and f.problem), None),
            is_admin=caller.actor.role >= Role.ADMIN,
        )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def _names(methods: list[ContactMethod]) -> dict[str, str]:
    return {m.id: f"{m.label} ({m.type}: {masked(m.type, m.address)})" for m in methods}


@router.get(PAGE)
def page(
    request: Request, saved: str | None = None, caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _page(request, caller, ctx, notice=SAVED.get(saved or ""))


@router.post(PAGE + "/methods")
def add_method(
    request: Request, caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    try:
        data = parse_form(MethodCreate, pick(fields, ("type", "label", "address")))
        with ctx.db.unit_of_work() as uow:
            method = notify.do_add_method(uow, caller.actor, caller.user.id, data)
            uow.commit()
    except MusterError as exc:
        form = failed_form(fields, exc, prefix="m")
        return _page(request, caller, ctx, method=form, status_code=exc.status)
    return see_other(f"{PAGE}?saved=added#method-{method.id}")


@router.post(PAGE + "/methods/{method_id}/{action}")
def method_action(
    request: Request, method_id: str, action: str, caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    me = caller.user.id
    commands: dict[str, Any] = {
        "send-code": (notify.do_send_code, "code"),
        "test": (notify.do_send_test, "test"),
        "remove": (notify.do_remove_method, "removed"),
    }
    try:
        with ctx.db.unit_of_work() as uow:
            if action == "verify":
                code = parse_form(CodeIn, pick(fields, ("code",))).code
                problem = notify.do_verify(uow, caller.actor, me, method_id, code)
                uow.commit()  # a wrong code counts against the tries
                if problem:
                    raise notify.code_problem(problem)
                saved = "verified"
            elif action in commands:
                command, saved = commands[action]
                command(uow, caller.actor, me, method_id)
                uow.commit()
            else:
                return see_other(PAGE)
    except MusterError as exc:
        form = failed_form(fields, exc, prefix="c")
        form.values["method_id"] = method_id
        return _page(request, caller, ctx, code=form, status_code=exc.status)
    return see_other(f"{PAGE}?saved={saved}")


@router.post(PAGE + "/rules")
def add_rule(
    request: Request, caller: Caller = Depends(ui_caller()),
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    try:
        data = parse_form(
            RuleCreate, pick(fields, ("urgency", "contact_method_id", "delay_minutes"))
        )
        with ctx.db.unit_of_work() as uow:
            notify.do_add_rule(uow, caller.actor, caller.user.id, data)
            uow.commit()
    except MusterError as exc:
        form = failed_form(fields, exc, prefix="r")
        return _page(request, caller, ctx, rule=form, status_code=exc.status)
    return see_other(f"{PAGE}?saved=rule")


@router.post(PAGE + "/rules/{rule_id}/remove")
def remove_rule(
    rule_id: str, caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        notify.do_remove_rule(uow, caller.actor, caller.user.id, rule_id)
        uow.commit()
    return see_other(f"{PAGE}?saved=rule_removed")
