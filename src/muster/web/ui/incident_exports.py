"""/incidents/export.csv: the incident list's "Export CSV" link, with the list's filters
and the signed-in session. Like the list, no status filter means the open ones; what is
exported is what the viewer may see."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.service import IncidentFilter
from muster.errors import FieldError, InvalidInput
from muster.web.api.incident_exports import stream_export
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.incidents import LEVELS, STATUSES

router = APIRouter(include_in_schema=False)


@router.get("/incidents/export.csv")
def export_csv(
    status: list[str] = Query(default_factory=list),
    severity: list[int] = Query(default_factory=list),
    type: list[str] = Query(default_factory=list),
    service_id: str = Query("", max_length=36),
    site: str = Query("", max_length=80),
    holder: str = Query("", max_length=36),
    q: str = Query("", max_length=200),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> StreamingResponse:
    for s in status:
        if s not in STATUSES:
            raise InvalidInput("bad filter", errors=[FieldError("status", f"unknown {s[:40]!r}")])
    if any(level not in LEVELS for level in severity):
        raise InvalidInput("bad filter", errors=[FieldError("severity", "must be 1 to 5")])
    f = IncidentFilter(
        status=status or list(OPEN_STATUSES), severity=severity, type=[t for t in type if t],
        service_id=service_id or None, site=site.strip() or None, role_holder_id=holder or None,
        text=q.strip() or None,
    )  # fmt: skip
    return stream_export(ctx, caller.actor, f, "csv")
