"""/api/v1/incidents/export (the filtered list as CSV or JSON, streamed) and
/api/v1/incidents/{id}/export.json (one incident whole: the report of
:mod:`muster.domain.incidents.report`, recorded as an ``incident.exported`` event).

Both see exactly what the caller sees elsewhere: restricted incidents only for those
allowed; one that is hidden is a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from muster.clock import Clock
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents import exports, report
from muster.domain.incidents.schemas import Status
from muster.domain.incidents.service import IncidentFilter
from muster.web.api.common import PROBLEM_RESPONSES
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["incidents"], responses=PROBLEM_RESPONSES)
Text = Annotated[str | None, Query(max_length=200)]
EXPORT_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def stream_export(
    ctx: AppContext, actor: Actor, f: IncidentFilter, fmt: str, *, cap: int = exports.EXPORT_CAP
) -> StreamingResponse:
    """The export as a download (CSV or JSON), streamed batch by batch; a bad filter
    raises here, before the response starts."""
    export = exports.IncidentExport(ctx.db, actor, f, cap=cap)
    stamp = _stamp(ctx.clock)
    body: Iterator[str]
    if fmt == "csv":
        body, media = exports.csv_chunks(export), "text/csv; charset=utf-8"
    else:
        body, media = exports.json_chunks(export), "application/json"
    headers = {
        **EXPORT_HEADERS,
        "Content-Disposition": f'attachment; filename="incidents-{stamp}.{fmt}"',
        "X-Export-Limit": str(export.cap),
    }
    return StreamingResponse(body, media_type=media, headers=headers)


def _stamp(clock: Clock) -> str:
    return clock.now().strftime("%Y%m%dT%H%MZ")


@router.get(
    "/incidents/export",
    summary="Export the incidents you can see (CSV or JSON), with the list's filters",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export_incidents(
    format: Literal["csv", "json"] = Query("csv"),
    status: list[Status] = Query([]),
    severity: list[int] = Query([], description="1 to 5"),
    type: list[str] = Query([], max_length=20),
    service_id: str | None = Query(None, max_length=36),
    site: Text = None,
    role_holder_id: str | None = Query(None, max_length=36),
    tag: list[str] = Query([], max_length=10),
    q: Text = None,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> StreamingResponse:
    """Newest declared first, at most 100,000 incidents (JSON says whether it was cut
    short in ``truncated``). CSV cells that a spreadsheet would run as a formula start
    with a single quote."""
    f = IncidentFilter(
        status=status, severity=severity, type=type, service_id=service_id, site=site,
        role_holder_id=role_holder_id, text=q, tags=tag,
    )  # fmt: skip
    return stream_export(ctx, caller.actor, f, format)


@router.get(
    "/incidents/{incident_id}/export.json",
    summary="Export one incident whole as JSON: timeline, tasks, updates, people, roles, "
    "compliance clocks and submissions, evidence with custody, investigation",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/json": {}}}},
)
@router.get("/incidents/{incident_id}/export", deprecated=True, include_in_schema=False)
def export_incident(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> StreamingResponse:
    """The report as JSON (``format_version`` 1), every time RFC 3339 UTC, sent a piece
    at a time. Each export is an ``incident.exported`` event on the incident's timeline.
    ``/export`` (without ``.json``) is the same, kept for older clients."""
    data = report.export_report(ctx.db, caller.actor, incident_id, "json", lambda r: r)
    reference = data["incident"]["reference"]
    return StreamingResponse(
        report.json_chunks(data),
        media_type="application/json",
        headers={
            **EXPORT_HEADERS,
            "Content-Disposition": f'attachment; filename="{reference}.json"',
        },
    )
