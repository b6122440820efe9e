"""/api/v1/audit: the event log for admins — filtered, exported (CSV, JSON lines), and
streamed to SIEMs by audit forwarders (signed webhook, syslog RFC 5424)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from muster.channels.destinations import url_refusal
from muster.db.pagination import decode_cursor, encode_cursor
from muster.domain.audit import forwarders as fwd
from muster.domain.audit.export import FORMATS, check_format, do_record_export, stream_export
from muster.domain.audit.forwarders import (
    ForwarderCreated,
    ForwarderIn,
    ForwarderOut,
    ForwarderUpdate,
)
from muster.domain.audit.query import AuditFilter, check_filter, search_events
from muster.domain.audit.schemas import AuditEventOut, audit_events_out
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/audit", tags=["audit"], responses=PROBLEM_RESPONSES)
ADMIN = api_caller(Role.ADMIN)


def audit_filter(
    actor: str | None = Query(None, max_length=200, description="actor id or part of a label"),
    via: str | None = Query(None, max_length=20, description="door: ui, api, cli, engine, ..."),
    token_id: str | None = Query(None, max_length=200),
    ip: str | None = Query(None, max_length=200),
    type_prefix: str | None = Query(None, max_length=200, description="e.g. service."),
    subject_type: str | None = Query(None, max_length=200),
    subject_id: str | None = Query(None, max_length=200),
    since: datetime | None = Query(None, description="occurred at or after (with time zone)"),
    until: datetime | None = Query(None, description="occurred before (with time zone)"),
) -> AuditFilter:
    return check_filter(AuditFilter(actor, via, token_id, ip, type_prefix, subject_type,
                                    subject_id, since, until))  # fmt: skip


@router.get("/events", response_model=ListOut[AuditEventOut], summary="Audit events, newest first")
def list_audit_events(
    f: AuditFilter = Depends(audit_filter),
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> ListOut[AuditEventOut]:
    """Who did what, through which door, from which address; ``changes`` holds the
    before/after values of configuration changes."""
    before = int(decode_cursor(cursor)[0]) if cursor else None
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = list(search_events(uow, caller.actor, f, before=before, limit=limit))
        next_cursor = encode_cursor([rows[-1].position, 0]) if len(rows) == limit else None
        return ListOut(items=audit_events_out(uow, rows), next_cursor=next_cursor)


def export_response(ctx: AppContext, caller: Caller, f: AuditFilter, fmt: str) -> Response:
    """The export as a streamed download (recorded as ``audit.exported`` first)."""
    check_format(fmt)
    with ctx.db.unit_of_work() as uow:
        through = do_record_export(uow, caller.actor, f, fmt)
        uow.commit()
    name = f"muster-audit-{ctx.clock.now():%Y%m%dT%H%M%SZ}.{fmt}"
    return StreamingResponse(
        stream_export(ctx.db, f, fmt, through=through),
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/export",
    summary="Export audit events (CSV or JSON lines), oldest first",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_audit_events(
    format: str = Query("jsonl", max_length=10, description="csv or jsonl"),
    f: AuditFilter = Depends(audit_filter),
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Streams every matching event up to the log's end when the export began."""
    return export_response(ctx, caller, f, format)


@router.get("/forwarders", response_model=ListOut[ForwarderOut], summary="List audit forwarders")
def list_forwarders(
    caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> ListOut[ForwarderOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        end = fwd.log_end(uow)
        return ListOut(
            items=[fwd.forwarder_out(h, end) for h in fwd.list_forwarders(uow, caller.actor)]
        )


@router.post(
    "/forwarders", response_model=ForwarderCreated, status_code=201,
    summary="Create an audit forwarder",
)  # fmt: skip
def create_forwarder(
    body: ForwarderIn, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> ForwarderCreated:
    with ctx.db.unit_of_work() as uow:
        hook, secret = fwd.do_create_forwarder(
            uow, caller.actor, body, url_refusal=url_refusal(ctx.settings)
        )
        uow.commit()
        out = fwd.forwarder_out(hook, hook.position)
    return ForwarderCreated(**out.model_dump(), secret=secret)


@router.get(
    "/forwarders/{forwarder_id}", response_model=ForwarderOut, summary="Show an audit forwarder"
)
def show_forwarder(
    forwarder_id: str, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> ForwarderOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        hook = fwd.get_forwarder(uow, caller.actor, forwarder_id)
        return fwd.forwarder_out(hook, fwd.log_end(uow))


@router.patch(
    "/forwarders/{forwarder_id}", response_model=ForwarderOut, summary="Change an audit forwarder"
)
def update_forwarder(
    forwarder_id: str,
    body: ForwarderUpdate,
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> ForwarderOut:
    with ctx.db.unit_of_work() as uow:
        hook = fwd.do_update_forwarder(
            uow, caller.actor, forwarder_id, body, url_refusal=url_refusal(ctx.settings)
        )
        uow.commit()
        return fwd.forwarder_out(hook, fwd.log_end(uow))


@router.post(
    "/forwarders/{forwarder_id}/rotate-secret", response_model=ForwarderCreated,
    summary="New signing secret for a webhook forwarder",
)  # fmt: skip
def rotate_forwarder_secret(
    forwarder_id: str, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> ForwarderCreated:
    with ctx.db.unit_of_work() as uow:
        hook, secret = fwd.do_rotate_forwarder_secret(uow, caller.actor, forwarder_id)
        uow.commit()
        out = fwd.forwarder_out(hook, fwd.log_end(uow))
    return ForwarderCreated(**out.model_dump(), secret=secret)


@router.delete("/forwarders/{forwarder_id}", status_code=204, summary="Delete an audit forwarder")
def delete_forwarder(
    forwarder_id: str, caller: Caller = Depends(ADMIN), ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        fwd.do_delete_forwarder(uow, caller.actor, forwarder_id)
        uow.commit()
    return Response(status_code=204)
