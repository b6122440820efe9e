"""The audit log for admins: every event, newest first, filtered by actor, door, type,
subject and time; exported as CSV or JSON lines; and the forwarders that stream it to a
SIEM (see :mod:`muster.web.ui.audit_forwarders`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.domain.audit.query import DOORS, AuditFilter, check_filter, search_events
from muster.domain.audit.schemas import audit_events_out
from muster.domain.events.actor import Role
from muster.errors import FieldError, InvalidInput
from muster.web.api.audit import export_response
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.audit_forwarders import router as forwarders_router
from muster.web.ui.paging import list_url
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
router.include_router(forwarders_router)

PAGE_SIZE = 50
# The subject types offered in the filter; any other value typed into the URL works too.
SUBJECT_TYPES = ("user", "team", "service", "integration", "escalation_policy", "schedule",
                 "routing_rule", "playbook", "regime", "incident", "audit_forwarder")  # fmt: skip
ADMIN = ui_caller(Role.ADMIN)


def _time(value: str, field: str) -> datetime | None:
    """A time from the form: ISO 8601; without a zone it is UTC (as the form says)."""
    if not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "please correct the filter", errors=[FieldError(field, "not a date and time")]
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def page_filter(
    actor: str = Query("", max_length=200), via: str = Query("", max_length=20), type_prefix: str = Query("", max_length=200),
    subject_type: str = Query("", max_length=200), subject_id: str = Query("", max_length=200), ip: str = Query("", max_length=200),
    since: str = Query("", max_length=40), until: str = Query("", max_length=40),
) -> tuple[dict[str, str], AuditFilter | InvalidInput]:  # fmt: skip
    """The form's values as typed, and the filter they make (or why they do not)."""
    typed = {"actor": actor, "via": via, "type_prefix": type_prefix, "subject_type": subject_type,
             "subject_id": subject_id, "ip": ip, "since": since, "until": until}  # fmt: skip
    try:
        f = AuditFilter(actor=actor, via=via, ip=ip, type_prefix=type_prefix,
                        subject_type=subject_type, subject_id=subject_id,
                        since=_time(since, "since"), until=_time(until, "until"))  # fmt: skip
        return typed, check_filter(f)
    except InvalidInput as exc:
        return typed, exc


@router.get("/audit")
def audit(
    request: Request,
    before: int | None = Query(None, ge=1),
    form: tuple[dict[str, str], AuditFilter | InvalidInput] = Depends(page_filter),
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> Response:
    typed, f = form
    types = list(SUBJECT_TYPES)
    if typed["subject_type"] and typed["subject_type"] not in types:
        types.append(typed["subject_type"])
    shown = {k: v for k, v in typed.items() if v}
    page: dict[str, Any] = {"typed": typed, "subject_types": types, "doors": DOORS}
    if isinstance(f, InvalidInput):
        return render(request, "audit.html", caller, status_code=f.status, rows=[],
                      errors={e.field: e.reason for e in f.errors}, **page)  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        found = list(search_events(uow, caller.actor, f, before=before, limit=PAGE_SIZE))
        rows = audit_events_out(uow, found)
    older = None
    if len(rows) == PAGE_SIZE:
        older = list_url("/audit", **shown, before=str(rows[-1].position))
    return render(
        request, "audit.html", caller, rows=rows, errors={},
        older_url=older, newest_url=list_url("/audit", **shown) if before else None,
        export_csv=list_url("/audit/export", **shown, format="csv"),
        export_jsonl=list_url("/audit/export", **shown, format="jsonl"),
        filtered=bool(shown), **page,
    )  # fmt: skip


@router.get("/audit/export")
def audit_export(
    format: str = Query("csv", max_length=10),
    form: tuple[dict[str, str], AuditFilter | InvalidInput] = Depends(page_filter),
    caller: Caller = Depends(ADMIN),
    ctx: AppContext = Depends(app_context),
) -> Response:
    _, f = form
    if isinstance(f, InvalidInput):
        raise f
    return export_response(ctx, caller, f, format)
