"""An incident's compliance page (/incidents/{id}/compliance): the regimes applying
(apply, remove), the clock-starting facts (record, in the viewer's zone), each report's
clock (status by colour and word, time left, the deadline in words) with forms to record
a submission (and its document) or why a deadline was missed. Plain form posts; bad
input shows the page again with the form's errors, and changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from muster.db.uow import UnitOfWork
from muster.domain.compliance import clocks, facts, submissions
from muster.domain.compliance.clock_schemas import (
    FactIn,
    MissReasonIn,
    RegimeApplyIn,
    RegimeRemoveIn,
    SubmissionIn,
)
from muster.domain.compliance.clock_views import STATUS_LABELS, incident_compliance, left_words
from muster.domain.compliance.models import Regime, Submission
from muster.domain.events.actor import Role
from muster.domain.incidents.attachments import BlobDamaged, FileBlobStore
from muster.domain.incidents.models import Incident
from muster.domain.incidents.service import reference
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, InvalidInput, NotFound
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    CSRF_FIELD,
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted,
    see_other,
)
from muster.web.ui.incident_choices import parse_local
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
BASE = "/incidents/{incident_id}/compliance"
RESPONDER = Depends(ui_caller(Role.RESPONDER))


class Forms(dict[str, FormState]):
    """The page's forms by prefix; one not given is blank."""

    def __missing__(self, key: str) -> FormState:
        return blank_form(key)


def _page(
    request: Request, caller: Caller, uow: UnitOfWork, incident: Incident, *,
    forms: Mapping[str, FormState] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    state = incident_compliance(uow, caller.actor, incident.id)
    applied = {r.regime for r in state.regimes}
    regimes = uow.session.scalars(
        select(Regime).where(Regime.archived_at.is_(None)).order_by(Regime.key)
    ).all()
    choices = [
        (r.key, r.name + (" (proposed)" if r.proposed else ""))
        for r in regimes
        if r.key not in applied
    ]
    by_clock: dict[str, list[Any]] = {}
    for s in state.submissions:
        by_clock.setdefault(s.clock_id, []).append(s)
    return render(
        request,
        "incident_compliance.html",
        caller,
        status_code=status_code,
        incident=incident,
        ref=reference(incident),
        state=state,
        choices=choices,
        fact_choices=list(facts.KNOWN_FACTS.items()),
        time_facts=facts.TIME_FACTS,
        fact_label=facts.fact_label,
        by_clock=by_clock,
        status_labels=STATUS_LABELS,
        left_words=left_words,
        can_act=caller.actor.role >= Role.RESPONDER,
        forms=Forms(forms or {}),
    )


@router.get(BASE)
def show(
    request: Request, incident_id: str, caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident = get_visible_incident(uow, caller.actor, incident_id)
        return _page(request, caller, uow, incident)


def _act(
    request: Request, caller: Caller, ctx: AppContext, incident_id: str,
    command: Callable[[UnitOfWork], object], *, prefix: str, fields: Mapping[str, str],
    anchor: str,
) -> Response:  # fmt: skip
    """Run ``command`` and go back to the page at ``#anchor``; on bad input, show the
    page again with the ``prefix`` form's errors and nothing changed."""
    try:
        with ctx.db.unit_of_work() as uow:
            command(uow)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix=prefix)
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = get_visible_incident(uow, caller.actor, incident_id)
            return _page(request, caller, uow, incident, forms={prefix: form}, status_code=exc.status)  # fmt: skip
    return see_other(f"/incidents/{incident_id}/compliance#{anchor}")


@router.post(BASE + "/regimes")
def apply_regime(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = parse_form(RegimeApplyIn, {k: fields.get(k, "") for k in ("regime", "reason")})
        clocks.do_apply_regime(uow, caller.actor, incident_id, data)

    return _act(request, caller, ctx, incident_id, command, prefix="regime", fields=fields, anchor="regimes")  # fmt: skip


@router.post(BASE + "/regimes/{regime_key}/remove")
def remove_regime(
    request: Request, incident_id: str, regime_key: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = parse_form(RegimeRemoveIn, {"reason": fields.get("reason", "")})
        clocks.do_remove_regime(uow, caller.actor, incident_id, regime_key, data)

    prefix = f"remove-{regime_key}"
    return _act(request, caller, ctx, incident_id, command, prefix=prefix, fields=fields, anchor="regimes")  # fmt: skip


@router.post(BASE + "/facts")
def record_fact(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        key = fields.get("key", "").strip()
        data: dict[str, Any] = {"reason": fields.get("reason", "")}
        if fields.get("at", "").strip():
            data["at"] = parse_local(fields["at"], caller, field="at")
        if fields.get("number", "").strip():
            data["number"] = fields["number"].strip()
        facts.do_record_fact(uow, caller.actor, incident_id, key, parse_form(FactIn, data))

    return _act(request, caller, ctx, incident_id, command, prefix="fact", fields=fields, anchor="facts")  # fmt: skip


@router.post(BASE + "/clocks/{clock_id}/submissions")
async def submit(
    request: Request, incident_id: str, clock_id: str, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    form = await request.form()
    upload = form.get("document")
    document = upload if isinstance(upload, UploadFile) and upload.filename else None
    fields = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    store = FileBlobStore.in_var_dir(ctx.settings.var_dir)

    def command(uow: UnitOfWork) -> None:
        data: dict[str, Any] = {
            k: fields.get(k, "").strip() for k in ("recipient", "reference", "late_reason", "notes")
            if fields.get(k, "").strip() or k == "recipient"
        }  # fmt: skip
        when = parse_local(fields.get("submitted_at", ""), caller, field="submitted_at")
        if when is not None:
            data["submitted_at"] = when
        submissions.do_record_submission(
            uow, caller.actor, incident_id, clock_id, parse_form(SubmissionIn, data),
            store=store, document=document.file if document else None,
            document_name=(document.filename or "") if document else "",
        )  # fmt: skip

    return await run_in_threadpool(
        lambda: _act(
            request, caller, ctx, incident_id, command, prefix=f"submit-{clock_id}",
            fields=fields, anchor=f"clock-{clock_id}",
        )
    )  # fmt: skip


@router.post(BASE + "/clocks/{clock_id}/miss-reason")
def explain_miss(
    request: Request, incident_id: str, clock_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = parse_form(MissReasonIn, {"reason": fields.get("reason", "")})
        submissions.do_explain_miss(uow, caller.actor, incident_id, clock_id, data)

    prefix = f"miss-{clock_id}"
    return _act(request, caller, ctx, incident_id, command, prefix=prefix, fields=fields, anchor=f"clock-{clock_id}")  # fmt: skip


@router.get(BASE + "/submissions/{submission_id}/document")
def document(
    incident_id: str, submission_id: str, caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    """The document sent with a submission, checked against its SHA-256, as a download."""
    store = FileBlobStore.in_var_dir(ctx.settings.var_dir)
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident = get_visible_incident(uow, caller.actor, incident_id)
        row = uow.session.get(Submission, submission_id)
        if row is None or row.incident_id != incident.id or row.document_sha256 is None:
            raise NotFound("no such document")
        name, sha256 = row.document_name or "document", row.document_sha256
    content = store.get(sha256)
    if hashlib.sha256(content).hexdigest() != sha256:
        raise BlobDamaged(f"the stored content of {name!r} does not match its SHA-256")
    return Response(
        content, media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "X-Content-SHA256": sha256, "Cache-Control": "private, no-store",
        },
    )  # fmt: skip
