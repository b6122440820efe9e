"""/incidents/export.csv: the incident list's "Export CSV" link, with the list's filters
and the signed-in session. Like the list, no status filter means the open ones; what is
exported is what the viewer may see.

/incidents/{id}/report: one incident whole as a printable page; ``report.html`` the
same as a self-contained download, ``report.pdf`` printed by Chromium when the server
has it (501 otherwise). Each is an ``incident.exported`` event; a restricted incident
is a 404 to whoever may not see it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.report import export_report
from muster.domain.incidents.service import IncidentFilter
from muster.errors import FieldError, InvalidInput
from muster.web.api.incident_exports import EXPORT_HEADERS, stream_export
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.pdf import check_pdf_available, chromium_path, html_to_pdf
from muster.web.ui.incidents import LEVELS, STATUSES
from muster.web.ui.report_html import report_html

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


def _download(data: dict[str, Any], ext: str) -> dict[str, str]:
    name = f"{data['incident']['reference']}-report.{ext}"
    return {**EXPORT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/incidents/{incident_id}/report")
def report_page(
    incident_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> HTMLResponse:
    base = f"/incidents/{incident_id}/report"
    links: dict[str, str | None] = {
        "html": f"{base}.html",
        "pdf": f"{base}.pdf" if chromium_path(ctx.settings.extra) else None,
        "json": f"/api/v1/incidents/{incident_id}/export.json",
    }
    page = export_report(
        ctx.db, caller.actor, incident_id, "html",
        lambda data: report_html(data, standalone=False, links=links),
    )  # fmt: skip
    return HTMLResponse(page, headers={"Cache-Control": "private, no-store"})


@router.get("/incidents/{incident_id}/report.html")
def report_download(
    incident_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> HTMLResponse:
    def render(data: dict[str, Any]) -> HTMLResponse:
        page = report_html(data, standalone=True)
        return HTMLResponse(page, headers=_download(data, "html"))

    return export_report(ctx.db, caller.actor, incident_id, "html", render)


@router.get("/incidents/{incident_id}/report.pdf")
def report_pdf(
    incident_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    chromium = check_pdf_available(ctx.settings.extra)

    def render(data: dict[str, Any]) -> Response:
        pdf = html_to_pdf(report_html(data, standalone=True), chromium)
        return Response(pdf, media_type="application/pdf", headers=_download(data, "pdf"))

    return export_report(ctx.db, caller.actor, incident_id, "pdf", render)
