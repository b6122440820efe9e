"""Stakeholders in the UI: follow / unfollow an incident from its page, responders add or
remove people and announcement channels there, and "What I follow" (/subscriptions),
where anyone signed in follows a service or a severity and unfollows anything.

Plain form posts; bad input shows the page again with the form's errors and changes
nothing. An incident the viewer may not see is a 404, as everywhere."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.incidents import subscriptions
from muster.domain.incidents.models import Subscription
from muster.domain.incidents.service import severity_levels
from muster.domain.incidents.update_schemas import SubscriptionIn
from muster.errors import Conflict, FieldError, InvalidInput, NotFound
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.alerts import service_choices
from muster.web.ui.forms import FormState, blank_form, failed_form, parse_form, posted, see_other
from muster.web.ui.incident_page import run_action
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
BASE = "/incidents/{incident_id}"
MINE = "/subscriptions"
SIGNED_IN = Depends(ui_caller())
# The add form's one field names the subscriber; the domain's names map onto it.
SUBSCRIBER_RENAMES = {"subscriber_id": "subscriber", "subscriber_type": "subscriber"}


def _follow(uow: UnitOfWork, caller: Caller, incident_id: str) -> None:
    data = SubscriptionIn(scope_type="incident", scope_id=incident_id)
    subscriptions.do_subscribe(uow, caller.actor, data)


def _unfollow(uow: UnitOfWork, caller: Caller, incident_id: str) -> None:
    rows = subscriptions.list_subscriptions(
        uow, caller.actor, scope_type="incident", scope_id=incident_id,
        subscriber_type="user", subscriber_id=caller.actor.id,
    )  # fmt: skip
    if not rows:
        raise Conflict("you do not follow this incident")
    subscriptions.do_unsubscribe(uow, caller.actor, rows[0].id)


@router.post(BASE + "/follow")
def follow(
    request: Request,
    incident_id: str,
    caller: Caller = SIGNED_IN,
    ctx: AppContext = Depends(app_context),
) -> Response:
    """The viewer follows the incident: they receive its status updates."""
    return run_action(
        request, caller, ctx, incident_id, lambda uow: _follow(uow, caller, incident_id),
        prefix="follow", anchor="stakeholders",
    )  # fmt: skip


@router.post(BASE + "/unfollow")
def unfollow(
    request: Request,
    incident_id: str,
    caller: Caller = SIGNED_IN,
    ctx: AppContext = Depends(app_context),
) -> Response:
    return run_action(
        request, caller, ctx, incident_id, lambda uow: _unfollow(uow, caller, incident_id),
        prefix="follow", anchor="stakeholders",
    )  # fmt: skip


def parse_subscriber(value: str) -> tuple[str, str]:
    """``user:<id>`` or ``channel:<id>`` (the add form's select) as (type, id)."""
    kind, _, ident = value.strip().partition(":")
    if kind not in ("user", "channel") or not ident:
        raise InvalidInput(
            "choose whom to add", errors=[FieldError("subscriber", "a person or a channel")]
        )
    return kind, ident


@router.post(BASE + "/stakeholders")
def add_stakeholder(
    request: Request,
    incident_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Make a person or an announcement channel follow the incident (responder)."""

    def command(uow: UnitOfWork) -> None:
        kind, ident = parse_subscriber(fields.get("subscriber", ""))
        data = parse_form(
            SubscriptionIn,
            {"subscriber_type": kind, "subscriber_id": ident, "scope_type": "incident",
             "scope_id": incident_id},
        )  # fmt: skip
        subscriptions.do_subscribe(uow, caller.actor, data)

    return run_action(
        request, caller, ctx, incident_id, command, prefix="stake", fields=fields,
        anchor="stakeholders", renames=SUBSCRIBER_RENAMES,
    )  # fmt: skip


def _incident_subscription(uow: UnitOfWork, subscription_id: str, incident_id: str) -> None:
    row = uow.session.get(Subscription, subscription_id)
    if row is None or row.scope_type != "incident" or row.scope_id != incident_id:
        raise NotFound("no such stakeholder")


@router.post(BASE + "/stakeholders/{subscription_id}/remove")
def remove_stakeholder(
    request: Request,
    incident_id: str,
    subscription_id: str,
    caller: Caller = SIGNED_IN,
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Stop someone following the incident (responder; anyone may remove themselves)."""

    def command(uow: UnitOfWork) -> None:
        _incident_subscription(uow, subscription_id, incident_id)
        subscriptions.do_unsubscribe(uow, caller.actor, subscription_id)

    return run_action(
        request, caller, ctx, incident_id, command, prefix="stake", anchor="stakeholders"
    )


# ---------------------------------------------------------------- What I follow


def _mine_page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    *,
    forms: Mapping[str, FormState] | None = None,
    status_code: int = 200,
) -> Response:
    forms = dict(forms or {})
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = subscriptions.list_subscriptions(
            uow, caller.actor, subscriber_type="user", subscriber_id=caller.actor.id
        )
        mine = subscriptions.subscriptions_out(uow, rows)
        return render(
            request,
            "subscriptions.html",
            caller,
            status_code=status_code,
            by_scope={
                scope: [s for s in mine if s.scope_type == scope]
                for scope in ("incident", "service", "severity")
            },
            services=service_choices(uow),
            severities=[(str(lv.level), f"{lv.name} {lv.label}") for lv in severity_levels(uow)],
            service_form=forms.get("service") or blank_form("service"),
            severity_form=forms.get("severity") or blank_form("severity"),
        )


@router.get(MINE)
def what_i_follow(
    request: Request, caller: Caller = SIGNED_IN, ctx: AppContext = Depends(app_context)
) -> Response:
    return _mine_page(request, caller, ctx)


@router.post(MINE)
def follow_scope(
    request: Request,
    caller: Caller = SIGNED_IN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Follow a service or a severity yourself (``scope_type``, ``scope_id``)."""
    scope = "severity" if fields.get("scope_type") == "severity" else "service"
    try:
        data = parse_form(
            SubscriptionIn, {"scope_type": scope, "scope_id": fields.get("scope_id", "")}
        )
        with ctx.db.unit_of_work() as uow:
            subscriptions.do_subscribe(uow, caller.actor, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix=scope)
        return _mine_page(request, caller, ctx, forms={scope: form}, status_code=exc.status)
    return see_other(MINE)


@router.post(MINE + "/{subscription_id}/delete")
def unfollow_scope(
    subscription_id: str,
    caller: Caller = SIGNED_IN,
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Stop one of your own subscriptions (anything else is not found here)."""
    with ctx.db.unit_of_work() as uow:
        row = uow.session.get(Subscription, subscription_id)
        if row is None or row.subscriber_type != "user" or row.subscriber_id != caller.actor.id:
            raise NotFound("no such subscription")
        subscriptions.do_unsubscribe(uow, caller.actor, subscription_id)
        uow.commit()
    return see_other(MINE)
