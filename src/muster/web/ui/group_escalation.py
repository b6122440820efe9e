"""The buttons of an alert group's Escalation card: escalate now, reassign (to a person
or a policy) and snooze. Plain form posts (responders), so they work without JavaScript;
bad input shows the group's page again with the card's form marked."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.escalation import actions
from muster.domain.escalation.schemas import ReassignIn, SnoozeIn
from muster.domain.events.actor import Role
from muster.errors import FieldError, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.alerts import group_page
from muster.web.ui.escalation_card import FORM_PREFIX
from muster.web.ui.forms import failed_form, parse_form, posted, see_other

router = APIRouter(include_in_schema=False)
BASE = "/alert-groups/{group_id}/escalation"


def _back(group_id: str) -> Response:
    return see_other(f"/alert-groups/{group_id}#escalation")


@router.post(BASE + "/escalate-now")
def escalate_now(
    group_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        actions.do_escalate_now(uow, caller.actor, group_id)
        uow.commit()
    return _back(group_id)


def reassign_input(choice: str) -> ReassignIn:
    """``user:<id>`` or ``policy:<id>`` (the card's select) as the command's input."""
    kind, _, target = choice.partition(":")
    field = {"user": "user_id", "policy": "escalation_policy_id"}.get(kind)
    if field is None or not target:
        raise InvalidInput(
            "choose whom to reassign to",
            errors=[FieldError("to", "pick a person or an escalation policy")],
        )
    return parse_form(ReassignIn, {field: target})


@router.post(BASE + "/reassign")
def reassign(
    request: Request,
    group_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = reassign_input(fields.get("to", ""))
        with ctx.db.unit_of_work() as uow:
            actions.do_reassign(uow, caller.actor, group_id, data)
            uow.commit()
    except InvalidInput as exc:
        renames = {"user_id": "to", "escalation_policy_id": "to", "input": "to"}
        form = failed_form(fields, exc, prefix=FORM_PREFIX, renames=renames)
        with ctx.db.unit_of_work(readonly=True) as uow:
            return group_page(
                request, caller, uow, group_id, escalation_form=form, status_code=exc.status
            )
    return _back(group_id)


@router.post(BASE + "/snooze")
def snooze(
    request: Request,
    group_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(SnoozeIn, {"minutes": fields.get("minutes", "")})
        with ctx.db.unit_of_work() as uow:
            actions.do_snooze(uow, caller.actor, group_id, data.minutes)
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix=FORM_PREFIX)
        with ctx.db.unit_of_work(readonly=True) as uow:
            return group_page(
                request, caller, uow, group_id, escalation_form=form, status_code=exc.status
            )
    return _back(group_id)
