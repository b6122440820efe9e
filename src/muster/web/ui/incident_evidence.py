"""/incidents/{id}/evidence: an incident's evidence with each item's custody log, the
legal hold banner, and the forms to add (multipart; drag-and-drop and paste stream to the
API through ``static/evidence.js``), download, verify, transfer, supersede, dispose of and
delete items, and to place or release a legal hold. Plain form posts that work without
JavaScript; bad input shows the page again with the form's errors, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from muster.db.uow import UnitOfWork
from muster.domain.compliance import legal_hold
from muster.domain.compliance.custody import custody_logs
from muster.domain.compliance.evidence import do_add_external, get_evidence, list_evidence
from muster.domain.compliance.evidence_access import do_transfer, verify_incident_evidence
from muster.domain.compliance.evidence_removal import do_delete, do_dispose
from muster.domain.compliance.evidence_schemas import DisposeIn, ExternalIn, ReasonIn, TransferIn
from muster.domain.compliance.evidence_store import evidence_store
from muster.domain.events.actor import Role
from muster.domain.incidents.service import find_incident, reference
from muster.domain.inputs import parse_input
from muster.errors import Conflict, InvalidInput, TooLarge
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.evidence_io import add_form_file, download_response
from muster.web.ui.forms import CSRF_FIELD, FormState, failed_form, posted, see_other
from muster.web.ui.incident_page import Forms
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/incidents/{incident_id}/evidence"
ITEM = PAGE + "/{evidence_id}"
VIEWER = Depends(ui_caller())
RESPONDER = Depends(ui_caller(Role.RESPONDER))
MANAGER = Depends(ui_caller(Role.MANAGER))
ADMIN = Depends(ui_caller(Role.ADMIN))
DONE = {
    "added": "Evidence added.", "external": "Reference added.", "verified": "Verified.",
    "transferred": "Custody transferred.", "disposed": "Disposal recorded.",
    "deleted": "Item deleted; its tombstone stays.", "held": "Legal hold placed.",
    "released": "Legal hold released.",
}  # fmt: skip
FAILED = (InvalidInput, Conflict, TooLarge)


@router.get(PAGE)
def evidence_page(
    request: Request,
    incident_id: str,
    done: str | None = None,
    caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _page(request, caller, uow, incident_id, notice=DONE.get(done or ""))


def _page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    incident_id: str,
    *,
    forms: Mapping[str, FormState] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    incident = find_incident(uow, caller.actor, incident_id)
    items = list_evidence(uow, caller.actor, incident.id)
    role = caller.actor.role
    return render(
        request,
        "incident_evidence.html",
        caller,
        status_code=status_code,
        incident=incident,
        ref=reference(incident),
        items=items,
        logs=custody_logs(uow, [i.id for i in items]),
        hold=legal_hold.active_hold(uow, incident.id),
        holds=legal_hold.list_holds(uow, caller.actor, incident.id),
        can_act=role >= Role.RESPONDER,
        can_manage=role >= Role.MANAGER,
        can_delete=role >= Role.ADMIN,
        forms=Forms(forms or {}),
        notice=notice,
    )


def _act(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    incident_id: str,
    command: Callable[[UnitOfWork], object],
    *,
    prefix: str,
    fields: Mapping[str, str],
    done: str,
) -> Response:
    try:
        with ctx.db.unit_of_work() as uow:
            command(uow)
            uow.commit()
    except FAILED as exc:
        return _failed(request, caller, ctx, incident_id, prefix, fields, exc)
    return see_other(f"/incidents/{incident_id}/evidence?done={done}")


def _failed(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    incident_id: str,
    prefix: str,
    fields: Mapping[str, str],
    exc: InvalidInput | Conflict | TooLarge,
) -> Response:
    form = failed_form(fields, exc, prefix=prefix)
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _page(
            request, caller, uow, incident_id, forms={prefix: form}, status_code=exc.status
        )


@router.post(PAGE + "/files")
async def add_file(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    """The no-JavaScript upload (and supersede): a multipart form, spooled to disk by
    Starlette, then streamed into the evidence store."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    prefix = f"supersede-{fields['supersedes']}" if fields.get("supersedes") else "upload"

    def work() -> Response:
        try:
            add_form_file(ctx, caller, incident_id, form.get("file"), fields)
        except FAILED as exc:
            return _failed(request, caller, ctx, incident_id, prefix, fields, exc)
        return see_other(f"/incidents/{incident_id}/evidence?done=added")

    return await run_in_threadpool(work)


@router.post(PAGE + "/external")
def add_external(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = {k: v for k, v in fields.items() if k != "supersedes"}
        data = {k: v for k, v in data.items() if v.strip() or k in ("uri",)}
        do_add_external(uow, caller.actor, incident_id, parse_input(ExternalIn, data),
                        supersedes_id=fields.get("supersedes") or None)  # fmt: skip

    return _act(request, caller, ctx, incident_id, command, prefix="external", fields=fields,
                done="external")  # fmt: skip


@router.get(ITEM + "/download")
def download(
    incident_id: str, evidence_id: str, caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> StreamingResponse:  # fmt: skip
    """The stored file, always as a download (the download is logged)."""
    return download_response(ctx, caller, evidence_id, incident_id)


@router.post(PAGE + "/verify")
def verify_all(
    incident_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> Response:
    verify_incident_evidence(ctx.db, caller.actor, incident_id, evidence_store(ctx.settings))
    return see_other(f"/incidents/{incident_id}/evidence?done=verified")


@router.post(ITEM + "/verify")
def verify_one(
    incident_id: str, evidence_id: str, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    verify_incident_evidence(ctx.db, caller.actor, incident_id, evidence_store(ctx.settings),
                             evidence_id=evidence_id)  # fmt: skip
    return see_other(f"/incidents/{incident_id}/evidence?done=verified#item-{evidence_id}")


@router.post(ITEM + "/transfer")
def transfer(
    request: Request, incident_id: str, evidence_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = parse_input(TransferIn, {"from": fields.get("from", ""),
                                        "to": fields.get("to", ""),
                                        "reason": fields.get("reason", "")})  # fmt: skip
        _check_item(uow, caller, incident_id, evidence_id)
        do_transfer(uow, caller.actor, evidence_id, data)

    return _act(request, caller, ctx, incident_id, command, prefix=f"transfer-{evidence_id}",
                fields=fields, done="transferred")  # fmt: skip


def _check_item(uow: UnitOfWork, caller: Caller, incident_id: str, evidence_id: str) -> None:
    item, _incident = get_evidence(uow, caller.actor, evidence_id)
    if item.incident_id != incident_id:
        raise InvalidInput("that item belongs to another incident")


@router.post(ITEM + "/dispose")
def dispose(
    request: Request, incident_id: str, evidence_id: str, caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = parse_input(DisposeIn, {"reason": fields.get("reason", ""),
                                       "method": fields.get("method", "")})  # fmt: skip
        _check_item(uow, caller, incident_id, evidence_id)
        do_dispose(uow, caller.actor, evidence_id, data, evidence_store(ctx.settings))

    return _act(request, caller, ctx, incident_id, command, prefix=f"dispose-{evidence_id}",
                fields=fields, done="disposed")  # fmt: skip


@router.post(ITEM + "/delete")
def delete(
    request: Request, incident_id: str, evidence_id: str, caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = parse_input(ReasonIn, {"reason": fields.get("reason", "")})
        _check_item(uow, caller, incident_id, evidence_id)
        do_delete(uow, caller.actor, evidence_id, data, evidence_store(ctx.settings))

    return _act(request, caller, ctx, incident_id, command, prefix=f"delete-{evidence_id}",
                fields=fields, done="deleted")  # fmt: skip


@router.post("/incidents/{incident_id}/legal-hold")
def place_hold(
    request: Request, incident_id: str, caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _act(
        request, caller, ctx, incident_id,
        lambda uow: legal_hold.do_place_hold(uow, caller.actor, incident_id,
                                             reason=fields.get("reason", "")),
        prefix="hold", fields=fields, done="held",
    )  # fmt: skip


@router.post("/incidents/{incident_id}/legal-hold/release")
def release_hold(
    request: Request, incident_id: str, caller: Caller = MANAGER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    return _act(
        request, caller, ctx, incident_id,
        lambda uow: legal_hold.do_release_hold(uow, caller.actor, incident_id,
                                               reason=fields.get("reason", "")),
        prefix="release", fields=fields, done="released",
    )  # fmt: skip
