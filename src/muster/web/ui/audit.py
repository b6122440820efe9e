"""The audit log: every event, newest first, for admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.domain.events.actor import Role
from muster.domain.events.service import recent_events
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.paging import list_url
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
# The subject types offered in the filter; any other value typed into the URL works too.
SUBJECT_TYPES = ("user", "team", "service")


@router.get("/audit")
def audit(
    request: Request,
    subject_type: str = Query("", max_length=40),
    before: int | None = Query(None, ge=1),
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    subject_type = subject_type.strip()
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = recent_events(uow, limit=PAGE_SIZE, before=before, subject_type=subject_type or None)
        older = None
        if len(rows) == PAGE_SIZE:
            position = str(rows[-1].position)
            older = list_url("/audit", subject_type=subject_type, before=position)
        newest = list_url("/audit", subject_type=subject_type) if before is not None else None
        types = list(SUBJECT_TYPES)
        if subject_type and subject_type not in types:
            types.append(subject_type)
        return render(
            request,
            "audit.html",
            caller,
            activity=rows,
            subject_type=subject_type,
            subject_types=types,
            older_url=older,
            newest_url=newest,
            show_subject=True,
        )
