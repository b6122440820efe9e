"""/audit/forwarders: an admin streams the audit log to a SIEM (signed webhook or
syslog), and per forwarder edits it, sees how far it got, rotates its secret or
removes it.

A webhook's signing secret (new or rotated) is shown once, as incident webhooks' are
(see :mod:`muster.web.ui.shown_once`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.channels.destinations import url_refusal
from muster.domain.audit import forwarders as fwd
from muster.domain.audit.forwarders import ForwarderIn, ForwarderUpdate
from muster.domain.events.actor import Role
from muster.errors import FieldError, InvalidInput, MusterError
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
from muster.web.ui.shown_once import ShownOnce

router = APIRouter(include_in_schema=False)
PAGE = "/audit/forwarders"
ADMIN = ui_caller(Role.ADMIN)
SECRET_COOKIE = "muster_new_forwarder_secret"  # noqa: S105 (a cookie name)
NEW_SECRET = ShownOnce(SECRET_COOKIE, salt="muster-new-forwarder-secret", path=PAGE)
SAVED = {"paused": "Forwarder paused.", "resumed": "Forwarder resumed.",
         "deleted": "Forwarder removed.", "saved": "Forwarder added.",
         "changed": "Forwarder saved.", "rotated": "New signing secret made."}  # fmt: skip
SYSLOG_FIELDS = ("host", "port", "transport", "tls_ca_pem")


def _prefixes(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _pem(text: str) -> str:
    """A pasted PEM with the browser's CRLF line ends made plain LF."""
    return text.replace("\r\n", "\n")


def _input(values: dict[str, str]) -> dict[str, Any]:
    """The posted create form as :class:`ForwarderIn` fields (blank ones left out)."""
    data: dict[str, Any] = {k: v for k, v in values.items() if v.strip()}
    data.pop("from_start", None)
    data["from_start"] = values.get("from_start") == "1"
    data["type_prefixes"] = _prefixes(values.get("type_prefixes", ""))
    if "tls_ca_pem" in data:
        data["tls_ca_pem"] = _pem(data["tls_ca_pem"])
    return data


def _update(kind: str, values: dict[str, str]) -> dict[str, Any]:
    """The posted edit form as :class:`ForwarderUpdate` fields: only the destination
    fields of the forwarder's kind; a blank one is refused, not kept (a blank CA means
    the system's)."""
    data: dict[str, Any] = {
        "name": values.get("name", ""),
        "type_prefixes": _prefixes(values.get("type_prefixes", "")),
        "enabled": values.get("enabled") == "1",
    }
    for field in ("url",) if kind == "webhook" else SYSLOG_FIELDS:
        data[field] = values.get(field, "")
    if "tls_ca_pem" in data:
        data["tls_ca_pem"] = _pem(data["tls_ca_pem"])
    return data


@router.get(PAGE)
def page(
    request: Request, saved: str | None = None, caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    shown = NEW_SECRET.take(request, ctx, caller)
    response = _page(request, caller, ctx, blank_form(kind="webhook", transport="tcp"),
                     notice=SAVED.get(saved or ""), new_secret=shown)  # fmt: skip
    if shown is not None:
        NEW_SECRET.forget(response)
    return response


@router.post(PAGE)
def create(
    request: Request, values: dict[str, str] = Depends(posted),
    caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    try:
        data = parse_form(ForwarderIn, _input(values))
        hook, secret = run_command(
            ctx, fwd.do_create_forwarder, caller.actor, data, url_refusal=url_refusal(ctx.settings)
        )
    except MusterError as exc:
        form = failed_form({k: v for k, v in values.items() if k != "tls_ca_pem"}, exc)
        return _page(request, caller, ctx, form, status_code=exc.status)
    if secret is None:
        return see_other(f"{PAGE}?saved=saved")
    return _with_secret(ctx, caller, f"{PAGE}?saved=saved", hook.id, hook.name, secret)


@router.get(PAGE + "/{forwarder_id}")
def edit_page(
    request: Request, forwarder_id: str, saved: str | None = None,
    caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    shown = NEW_SECRET.take(request, ctx, caller)
    if shown is not None and shown.get("id") != forwarder_id:
        shown = None  # another forwarder's: its own page shows it
    response = _edit(request, caller, ctx, forwarder_id, None,
                     notice=SAVED.get(saved or ""), new_secret=shown)  # fmt: skip
    if shown is not None:
        NEW_SECRET.forget(response)
    return response


@router.post(PAGE + "/{forwarder_id}")
def edit(
    request: Request, forwarder_id: str, values: dict[str, str] = Depends(posted),
    caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        kind = fwd.get_forwarder(uow, caller.actor, forwarder_id).kind
    try:
        data = parse_form(ForwarderUpdate, _update(kind, values))
        run_command(ctx, fwd.do_update_forwarder, caller.actor, forwarder_id, data,
                    url_refusal=url_refusal(ctx.settings))  # fmt: skip
    except MusterError as exc:
        form = failed_form(values, exc)
        return _edit(request, caller, ctx, forwarder_id, form, status_code=exc.status)
    return see_other(f"{PAGE}/{forwarder_id}?saved=changed")


@router.post(PAGE + "/{forwarder_id}/rotate-secret")
def rotate(forwarder_id: str, caller: Caller = Depends(ADMIN),
           ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    hook, secret = run_command(ctx, fwd.do_rotate_forwarder_secret, caller.actor, forwarder_id)
    target = f"{PAGE}/{forwarder_id}?saved=rotated"
    return _with_secret(ctx, caller, target, forwarder_id, hook.name, secret)


@router.post(PAGE + "/{forwarder_id}/pause")
def pause(forwarder_id: str, caller: Caller = Depends(ADMIN),
          ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    return _set_enabled(ctx, caller, forwarder_id, enabled=False)


@router.post(PAGE + "/{forwarder_id}/resume")
def resume(forwarder_id: str, caller: Caller = Depends(ADMIN),
           ctx: AppContext = Depends(app_context)) -> Response:  # fmt: skip
    return _set_enabled(ctx, caller, forwarder_id, enabled=True)


@router.post(PAGE + "/{forwarder_id}/delete")
def delete(
    request: Request, forwarder_id: str, values: dict[str, str] = Depends(posted),
    caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    """Removes the forwarder only when the form's confirmation box was ticked."""
    if values.get("confirm") != "1":
        with ctx.db.unit_of_work(readonly=True) as uow:
            fwd.get_forwarder(uow, caller.actor, forwarder_id)  # 404 before asking
        problem = InvalidInput("removal not confirmed",
                               errors=[FieldError("confirm", "tick the box to confirm")])  # fmt: skip
        form = failed_form({}, problem, prefix="rm")
        return _edit(request, caller, ctx, forwarder_id, None, remove=form,
                     status_code=problem.status)  # fmt: skip
    run_command(ctx, fwd.do_delete_forwarder, caller.actor, forwarder_id)
    return see_other(f"{PAGE}?saved=deleted")


def _set_enabled(ctx: AppContext, caller: Caller, forwarder_id: str, *, enabled: bool) -> Response:
    run_command(ctx, fwd.do_update_forwarder, caller.actor, forwarder_id,
                ForwarderUpdate(enabled=enabled), url_refusal=url_refusal(ctx.settings))  # fmt: skip
    return see_other(f"{PAGE}?saved={'resumed' if enabled else 'paused'}")


def _with_secret(
    ctx: AppContext, caller: Caller, target: str, forwarder_id: str, name: str, secret: str
) -> Response:
    """Redirect to ``target``, which shows ``secret`` once (see the module's note)."""
    value = {"id": forwarder_id, "name": name, "secret": secret}
    return NEW_SECRET.redirect(ctx, caller, f"{target}#new-secret", value)


def _page(
    request: Request, caller: Caller, ctx: AppContext, form: FormState, *,
    notice: str | None = None, new_secret: dict[str, Any] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        end = fwd.log_end(uow)
        rows = [fwd.forwarder_out(h, end) for h in fwd.list_forwarders(uow, caller.actor)]
    response = render(request, "audit_forwarders.html", caller, status_code=status_code,
                      forwarders=rows, form=form, notice=notice, new_secret=new_secret)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


def _edit(
    request: Request, caller: Caller, ctx: AppContext, forwarder_id: str,
    form: FormState | None, *, remove: FormState | None = None, notice: str | None = None,
    new_secret: dict[str, Any] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    """The forwarder's page: its state, the edit form (``form``, or its saved values),
    rotation and removal."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        hook = fwd.get_forwarder(uow, caller.actor, forwarder_id)
        out = fwd.forwarder_out(hook, fwd.log_end(uow))
        since = fwd.failing_since(uow, hook)
        form = form or blank_form(
            name=hook.name, url=hook.url or "", host=hook.host or "",
            port=str(hook.port or ""), transport=hook.transport or "tcp",
            tls_ca_pem=hook.tls_ca_pem or "", type_prefixes=", ".join(hook.type_prefixes),
            enabled="1" if hook.enabled else "",
        )  # fmt: skip
    response = render(
        request, "audit_forwarder_edit.html", caller, status_code=status_code, hook=out,
        failing_since=since, form=form, remove=remove or blank_form(prefix="rm"),
        notice=notice, new_secret=new_secret,
    )  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response
