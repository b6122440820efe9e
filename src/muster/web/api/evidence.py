"""/api/v1/incidents/{id}/evidence and /api/v1/evidence/{id}: evidence items, their
chain of custody, and legal holds.

Uploads stream: ``PUT .../evidence/upload`` takes the file as the raw request body and
writes it to the evidence store a chunk at a time as it arrives (hashing as it goes), so
a multi-gigabyte image never sits in memory; ``POST .../evidence/files`` takes a
multipart form (which Starlette spools to disk) for clients that cannot send a raw body.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from muster.domain.compliance import legal_hold
from muster.domain.compliance.custody import custody_logs
from muster.domain.compliance.evidence import (
    add_file_evidence,
    do_add_external,
    get_evidence,
    list_evidence,
)
from muster.domain.compliance.evidence_access import (
    do_transfer,
    do_view,
    verify_incident_evidence,
)
from muster.domain.compliance.evidence_removal import do_delete, do_dispose
from muster.domain.compliance.evidence_schemas import (
    CustodyOut,
    DisposeIn,
    EvidenceMeta,
    EvidenceOut,
    ExternalIn,
    HoldOut,
    ReasonIn,
    TransferIn,
    VerifyOut,
    evidence_out,
)
from muster.domain.compliance.evidence_store import evidence_store
from muster.domain.events.actor import Role
from muster.domain.inputs import parse_input
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context
from muster.web.evidence_io import add_form_file, body_chunks, download_response

router = APIRouter(tags=["evidence"], responses=PROBLEM_RESPONSES)
ONE = "/incidents/{incident_id}"
ITEM = "/evidence/{evidence_id}"
VIEWER = Depends(api_caller(Role.VIEWER))
RESPONDER = Depends(api_caller(Role.RESPONDER))
MANAGER = Depends(api_caller(Role.MANAGER))
ADMIN = Depends(api_caller(Role.ADMIN))
RAW_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}  # fmt: skip


class ExternalAdd(ExternalIn):
    supersedes: str | None = None


@router.get(ONE + "/evidence", response_model=ListOut[EvidenceOut], summary="Evidence items")
def list_items(
    incident_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> ListOut[EvidenceOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(
            items=[evidence_out(i) for i in list_evidence(uow, caller.actor, incident_id)]
        )


@router.put(
    ONE + "/evidence/upload",
    response_model=EvidenceOut,
    status_code=201,
    summary="Upload a file as evidence (raw body, streamed; SHA-256 computed on arrival)",
    openapi_extra=RAW_BODY,
)
async def upload(
    request: Request,
    incident_id: str,
    filename: str = Query(..., max_length=1000),
    title: str = Query("", max_length=300),
    description: str = Query("", max_length=10000),
    source: str = Query("", max_length=300),
    collected_by: str = Query("", max_length=320),
    collected_at: AwareDatetime | None = Query(None),
    supersedes: str | None = Query(None, max_length=36),
    caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> EvidenceOut:
    meta = _meta(title, description, source, collected_by, collected_at)
    media_type = request.headers.get("content-type")

    def work() -> EvidenceOut:
        item = add_file_evidence(
            ctx.db, caller.actor, incident_id, evidence_store(ctx.settings),
            body_chunks(request), filename=filename, media_type=media_type, meta=meta,
            limit=ctx.settings.evidence.max_bytes, supersedes_id=supersedes,
        )  # fmt: skip
        return evidence_out(item)

    return await anyio.to_thread.run_sync(work)


def _meta(
    title: str, description: str, source: str, collected_by: str, collected_at: datetime | None
) -> EvidenceMeta:
    return parse_input(EvidenceMeta, {
        "title": title, "description": description, "source": source,
        "collected_by": collected_by, "collected_at": collected_at,
    })  # fmt: skip


@router.post(
    ONE + "/evidence/files",
    response_model=EvidenceOut,
    status_code=201,
    summary="Upload a file as evidence (multipart form: file, title, description ...)",
)
async def upload_form(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> EvidenceOut:
    form = await request.form()
    upload = form.get("file")
    text = {k: v for k, v in form.items() if isinstance(v, str)}

    def work() -> EvidenceOut:
        item = add_form_file(ctx, caller, incident_id, upload, text)
        return evidence_out(item)

    return await anyio.to_thread.run_sync(work)


@router.post(
    ONE + "/evidence/external",
    response_model=EvidenceOut,
    status_code=201,
    summary="Add an external reference as evidence (a location and its hash, if known)",
)
def add_external(
    incident_id: str, body: ExternalAdd, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> EvidenceOut:  # fmt: skip
    data = ExternalIn.model_validate(body.model_dump(exclude={"supersedes"}))
    with ctx.db.unit_of_work() as uow:
        item = do_add_external(uow, caller.actor, incident_id, data, supersedes_id=body.supersedes)
        uow.commit()
        return evidence_out(item)


@router.get(ITEM, response_model=EvidenceOut, summary="One item (the viewing is logged)")
def get_item(
    evidence_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> EvidenceOut:
    with ctx.db.unit_of_work() as uow:
        item = do_view(uow, caller.actor, evidence_id)
        uow.commit()
        return evidence_out(item)


@router.get(ITEM + "/custody", response_model=ListOut[CustodyOut], summary="Custody log")
def custody(
    evidence_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> ListOut[CustodyOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        item, _incident = get_evidence(uow, caller.actor, evidence_id)
        log = custody_logs(uow, [item.id])[item.id]
        return ListOut(items=[CustodyOut(
            seq=e.seq, at=e.occurred_at, type=e.type, actor=e.actor_label, via=e.via,
            data=e.data, hash=e.hash) for e in log])  # fmt: skip


@router.get(
    ITEM + "/content",
    summary="Download the stored file (streamed; the download is logged)",
    response_class=StreamingResponse,
)
def download(
    evidence_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> StreamingResponse:
    return download_response(ctx, caller, evidence_id)


@router.post(ITEM + "/transfer", response_model=EvidenceOut, summary="Transfer custody")
def transfer(
    evidence_id: str, body: TransferIn, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> EvidenceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        item = do_transfer(uow, caller.actor, evidence_id, body)
        uow.commit()
        return evidence_out(item)


def _verify_out(results: list[Any]) -> ListOut[VerifyOut]:
    return ListOut(items=[VerifyOut(
        id=r.evidence_id, label=r.label, ok=r.ok, sha256_expected=r.sha256_expected,
        sha256_found=r.sha256_found, detail=r.detail) for r in results])  # fmt: skip


@router.post(ITEM + "/verify", response_model=ListOut[VerifyOut], summary="Recompute the hash")
def verify_item(
    evidence_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> ListOut[VerifyOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident_id = get_evidence(uow, caller.actor, evidence_id)[0].incident_id
    store = evidence_store(ctx.settings)
    return _verify_out(verify_incident_evidence(
        ctx.db, caller.actor, incident_id, store, evidence_id=evidence_id))  # fmt: skip


@router.post(
    ONE + "/evidence/verify", response_model=ListOut[VerifyOut], summary="Verify every item"
)
def verify_all(
    incident_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> ListOut[VerifyOut]:
    store = evidence_store(ctx.settings)
    return _verify_out(verify_incident_evidence(ctx.db, caller.actor, incident_id, store))


@router.post(ITEM + "/dispose", response_model=EvidenceOut, summary="Dispose of (manager)")
def dispose(
    evidence_id: str, body: DisposeIn, caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> EvidenceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        item = do_dispose(uow, caller.actor, evidence_id, body, evidence_store(ctx.settings))
        uow.commit()
        return evidence_out(item)


@router.delete(ITEM, response_model=EvidenceOut, summary="Delete (admin; leaves a tombstone)")
def delete(
    evidence_id: str, body: ReasonIn, caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> EvidenceOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        item = do_delete(uow, caller.actor, evidence_id, body, evidence_store(ctx.settings))
        uow.commit()
        return evidence_out(item)


def _hold_out(hold: Any) -> HoldOut:
    return HoldOut(
        id=hold.id, incident_id=hold.incident_id, placed_at=hold.placed_at,
        placed_by=hold.placed_by, reason=hold.reason, released_at=hold.released_at,
        released_by=hold.released_by, release_reason=hold.release_reason,
    )  # fmt: skip


@router.get(ONE + "/legal-holds", response_model=ListOut[HoldOut], summary="Legal holds")
def holds(
    incident_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> ListOut[HoldOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = legal_hold.list_holds(uow, caller.actor, incident_id)
        return ListOut(items=[_hold_out(h) for h in rows])


@router.post(
    ONE + "/legal-holds", response_model=HoldOut, status_code=201, summary="Place a legal hold"
)
def place_hold(
    incident_id: str, body: ReasonIn, caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> HoldOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        hold = legal_hold.do_place_hold(uow, caller.actor, incident_id, reason=body.reason)
        uow.commit()
        return _hold_out(hold)


@router.post(ONE + "/legal-holds/release", response_model=HoldOut, summary="Release the legal hold")
def release_hold(
    incident_id: str, body: ReasonIn, caller: Caller = MANAGER,
    ctx: AppContext = Depends(app_context),
) -> HoldOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        hold = legal_hold.do_release_hold(uow, caller.actor, incident_id, reason=body.reason)
        uow.commit()
        return _hold_out(hold)
