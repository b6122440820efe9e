"""/api/v1/incidents/{id}/compliance: the regulatory regimes applying to an incident,
its clock-starting facts, one clock per report and the submissions made; and
/api/v1/compliance/clocks: the clocks across the incidents the caller may see."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from muster.domain.compliance import clocks, facts, submissions
from muster.domain.compliance.clock_schemas import (
    ClockOut,
    ComplianceOut,
    FactIn,
    MissReasonIn,
    RegimeApplyIn,
    RegimeRemoveIn,
    SubmissionIn,
    SubmissionOut,
)
from muster.domain.compliance.clock_views import (
    incident_compliance,
    list_clocks,
    recorded_submission_out,
)
from muster.domain.events.actor import Role
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.inputs import parse_input
from muster.errors import FieldError, InvalidInput
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["compliance"], responses=PROBLEM_RESPONSES)
ONE = "/incidents/{incident_id}/compliance"
VIEWER = Depends(api_caller(Role.VIEWER))
RESPONDER = Depends(api_caller(Role.RESPONDER))
SUBMISSION_FIELDS = ("submitted_at", "recipient", "reference", "late_reason", "notes")
SUBMISSION_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": SubmissionIn.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "required": ["recipient"], "properties": {
        **{name: {"type": "string"} for name in SUBMISSION_FIELDS},
        "document": {"type": "string", "format": "binary"},
    }}},
}}}  # fmt: skip


def _state(ctx: AppContext, caller: Caller, incident_id: str) -> ComplianceOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return incident_compliance(uow, caller.actor, incident_id)


@router.get(ONE, response_model=ComplianceOut, summary="Regimes, facts, clocks, submissions")
def show(incident_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)) -> ComplianceOut:  # fmt: skip
    return _state(ctx, caller, incident_id)


@router.post(
    ONE + "/regimes", response_model=ComplianceOut, status_code=201,
    summary="Mark a regime as applying, with the reason (responder)",
)  # fmt: skip
def apply_regime(
    incident_id: str, body: RegimeApplyIn, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> ComplianceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        clocks.do_apply_regime(uow, caller.actor, incident_id, body)
        uow.commit()
    return _state(ctx, caller, incident_id)


@router.delete(
    ONE + "/regimes/{regime_key}", response_model=ComplianceOut,
    summary="The regime no longer applies; reason in the body or ?reason= (responder)",
)  # fmt: skip
async def remove_regime(
    request: Request, incident_id: str, regime_key: str,
    reason: str | None = Query(None, max_length=4000), caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> ComplianceOut:  # fmt: skip
    raw = await request.body()
    data = _json(raw) if raw.strip() else {"reason": reason or ""}
    body = parse_input(RegimeRemoveIn, data)

    def command() -> ComplianceOut:
        with ctx.db.unit_of_work() as uow:
            clocks.do_remove_regime(uow, caller.actor, incident_id, regime_key, body)
            uow.commit()
        return _state(ctx, caller, incident_id)

    return await run_in_threadpool(command)


@router.put(
    ONE + "/facts/{key}", response_model=ComplianceOut,
    summary="Record or correct a fact: a time (at) or a number, with the reason (responder)",
)  # fmt: skip
def record_fact(
    incident_id: str, key: str, body: FactIn, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> ComplianceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        facts.do_record_fact(uow, caller.actor, incident_id, key, body)
        uow.commit()
    return _state(ctx, caller, incident_id)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise InvalidInput("the body is not a JSON object", errors=[FieldError("body", "JSON object")])  # fmt: skip
    return data


@router.post(
    ONE + "/clocks/{clock_id}/submissions", response_model=SubmissionOut, status_code=201,
    summary="Record a report sent: JSON, or multipart with the document (responder)",
    openapi_extra=SUBMISSION_BODY,
)  # fmt: skip
async def submit(
    request: Request, incident_id: str, clock_id: str, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> SubmissionOut:  # fmt: skip
    document: UploadFile | None = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("document")
        document = upload if isinstance(upload, UploadFile) and upload.filename else None
        data: dict[str, Any] = {
            k: v for k, v in form.items() if k in SUBMISSION_FIELDS and isinstance(v, str)
            and (v.strip() or k == "recipient")
        }  # fmt: skip
    else:
        data = _json(await request.body())
    body = parse_input(SubmissionIn, data)
    store = FileBlobStore.in_var_dir(ctx.settings.var_dir)

    def command() -> SubmissionOut:
        with ctx.db.unit_of_work() as uow:
            row = submissions.do_record_submission(
                uow, caller.actor, incident_id, clock_id, body, store=store,
                document=document.file if document else None,
                document_name=(document.filename or "") if document else "",
            )  # fmt: skip
            uow.commit()
            return recorded_submission_out(uow, row)

    return await run_in_threadpool(command)


@router.post(
    ONE + "/clocks/{clock_id}/miss-reason", status_code=204, response_class=Response,
    summary="State why the deadline was missed (responder)",
)  # fmt: skip
def explain_miss(
    incident_id: str, clock_id: str, body: MissReasonIn, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        submissions.do_explain_miss(uow, caller.actor, incident_id, clock_id, body)
        uow.commit()
    return Response(status_code=204)


@router.get(
    "/compliance/clocks", response_model=ListOut[ClockOut],
    summary="Clocks across the incidents you may see, soonest due first",
)  # fmt: skip
def clocks_across(
    status: str | None = Query(None, max_length=20, description="running, missed, submitted ..."),
    regime: str | None = Query(None, max_length=40, description="a regime's key"),
    due_before: AwareDatetime | None = Query(None),
    cursor: str | None = Query(None, max_length=400),
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> ListOut[ClockOut]:
    before: datetime | None = due_before
    with ctx.db.unit_of_work(readonly=True) as uow:
        items, next_cursor = list_clocks(
            uow, caller.actor, status=status or None, regime=regime or None, due_before=before,
            cursor=cursor, limit=limit,
        )  # fmt: skip
    return ListOut(items=items, next_cursor=next_cursor)
