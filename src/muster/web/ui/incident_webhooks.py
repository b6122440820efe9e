"""/settings/incident-webhooks: an admin subscribes URLs to incident events.

A new (or rotated) secret is shown once, on the next page view (see
:mod:`muster.web.ui.shown_once`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.channels.destinations import url_refusal
from muster.domain.events.actor import Role
from muster.domain.incidents import webhooks
from muster.domain.incidents.models import IncidentWebhook
from muster.domain.incidents.webhooks import INCIDENT_EVENT_TYPES, WebhookIn, WebhookUpdate
from muster.errors import InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted_lists,
    run_command,
    see_other,
)
from muster.web.ui.render import render
from muster.web.ui.shown_once import ShownOnce

router = APIRouter(include_in_schema=False)
PAGE = "/settings/incident-webhooks"
SECRET_COOKIE = "muster_new_webhook_secret"  # noqa: S105 (a cookie name)
NEW_SECRET = ShownOnce(SECRET_COOKIE, salt="muster-new-webhook-secret", path=PAGE)
ADMIN = ui_caller(Role.ADMIN)
SAVED = {"saved": "Webhook saved.", "paused": "Webhook paused.", "resumed": "Webhook resumed.",
         "deleted": "Webhook removed."}  # fmt: skip


def _fields(fields: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "name": (fields.get("name") or [""])[0],
        "url": (fields.get("url") or [""])[0],
        "event_types": fields.get("event_types", []),
        "include_restricted": "include_restricted" in fields,
    }


def _form_values(data: dict[str, Any]) -> dict[str, str]:
    return {"name": data["name"], "url": data["url"],
            "include_restricted": "1" if data["include_restricted"] else ""}  # fmt: skip


@router.get(PAGE)
def list_page(
    request: Request,
    saved: str | None = None,
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> Response:
    shown = NEW_SECRET.take(request, ctx, caller)
    response = _list(request, caller, ctx, None, notice=SAVED.get(saved or ""), new_secret=shown)
    if SECRET_COOKIE in request.cookies:
        NEW_SECRET.forget(response)
    return response


@router.post(PAGE)
def create(
    request: Request,
    caller: Caller = Depends(ADMIN),
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    values = _fields(fields)
    try:
        data = parse_form(WebhookIn, values)
        refusal = url_refusal(ctx.settings)
        hook, secret = run_command(
            ctx, webhooks.do_create_webhook, caller.actor, data, url_refusal=refusal
        )
    except InvalidInput as exc:
        form = failed_form(_form_values(values), exc)
        return _list(
            request, caller, ctx, form, types=values["event_types"], status_code=exc.status
        )
    return _with_secret(ctx, caller, hook.id, secret)


@router.get(PAGE + "/{webhook_id}")
def edit_page(
    request: Request,
    webhook_id: str,
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        hook = webhooks.get_webhook(uow, caller.actor, webhook_id)
        form = blank_form(name=hook.name, url=hook.url,
                          include_restricted="1" if hook.include_restricted else "")  # fmt: skip
        return _edit(request, caller, hook, form, list(hook.event_types))


@router.post(PAGE + "/{webhook_id}")
def edit(
    request: Request,
    webhook_id: str,
    caller: Caller = Depends(ADMIN),
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    values = _fields(fields)
    try:
        data = parse_form(WebhookUpdate, values)
        run_command(ctx, webhooks.do_update_webhook, caller.actor, webhook_id, data,
                    url_refusal=url_refusal(ctx.settings))  # fmt: skip
    except InvalidInput as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            hook = webhooks.get_webhook(uow, caller.actor, webhook_id)
            form = failed_form(_form_values(values), exc)
            return _edit(request, caller, hook, form, values["event_types"], exc.status)
    return see_other(f"{PAGE}?saved=saved")


@router.post(PAGE + "/{webhook_id}/pause")
def pause(webhook_id: str, caller: Caller = Depends(ADMIN),
          ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    return _set_enabled(ctx, caller, webhook_id, enabled=False)


@router.post(PAGE + "/{webhook_id}/resume")
def resume(webhook_id: str, caller: Caller = Depends(ADMIN),
           ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    return _set_enabled(ctx, caller, webhook_id, enabled=True)


def _set_enabled(ctx: AppContext, caller: Caller, webhook_id: str, *, enabled: bool) -> Response:
    run_command(ctx, webhooks.do_update_webhook, caller.actor, webhook_id,
                WebhookUpdate(enabled=enabled), url_refusal=url_refusal(ctx.settings))  # fmt: skip
    return see_other(f"{PAGE}?saved={'resumed' if enabled else 'paused'}")


@router.post(PAGE + "/{webhook_id}/rotate-secret")
def rotate(webhook_id: str, caller: Caller = Depends(ADMIN),
           ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    hook, secret = run_command(ctx, webhooks.do_rotate_secret, caller.actor, webhook_id)
    return _with_secret(ctx, caller, hook.id, secret)


@router.post(PAGE + "/{webhook_id}/delete")
def delete(webhook_id: str, caller: Caller = Depends(ADMIN),
           ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    run_command(ctx, webhooks.do_delete_webhook, caller.actor, webhook_id)
    return see_other(f"{PAGE}?saved=deleted")


def _with_secret(ctx: AppContext, caller: Caller, webhook_id: str, secret: str) -> Response:
    value = {"id": webhook_id, "secret": secret}
    return NEW_SECRET.redirect(ctx, caller, f"{PAGE}#new-secret", value)


def _list(
    request: Request, caller: Caller, ctx: AppContext, form: FormState | None, *,
    types: list[str] | None = None, notice: str | None = None,
    new_secret: dict[str, Any] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        hooks = webhooks.list_webhooks(uow, caller.actor)
        response = render(
            request, "incident_webhooks.html", caller, status_code=status_code, hooks=hooks,
            form=form or blank_form(), chosen=types or [], event_types=INCIDENT_EVENT_TYPES,
            notice=notice, new_secret=new_secret,
        )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def _edit(
    request: Request, caller: Caller, hook: IncidentWebhook, form: FormState, types: list[str],
    status_code: int = 200,
) -> Response:  # fmt: skip
    return render(
        request, "incident_webhooks_edit.html", caller, status_code=status_code, hook=hook,
        form=form, chosen=types, event_types=INCIDENT_EVENT_TYPES,
    )  # fmt: skip
