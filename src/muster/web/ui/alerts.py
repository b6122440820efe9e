"""Alerts: the filtered list (live), one alert, one alert group; acknowledge and resolve,
one at a time or in bulk."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.alerts import service as alerts
from muster.domain.alerts.models import OPEN_STATUSES, SEVERITY_RANK, Alert
from muster.domain.catalog.models import Service
from muster.domain.correlation.views import alert_correlation
from muster.domain.events.actor import Role
from muster.domain.events.models import Event
from muster.domain.events.service import events_for
from muster.domain.sites.where import alert_place, group_places
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.ui.escalation_card import escalation_context
from muster.web.ui.forms import FormState, posted_lists, see_other
from muster.web.ui.paging import PAGE_SIZE
from muster.web.ui.render import render
from muster.web.ui.sites import site_choices

router = APIRouter(include_in_schema=False)

Status = Literal["triggered", "acknowledged", "resolved"]
Severity = Literal["critical", "error", "warning", "info"]
STATUSES: tuple[Status, ...] = ("triggered", "acknowledged", "resolved")
SEVERITIES = tuple(sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__, reverse=True))
ACTIONS = {"acknowledge": "acknowledged", "resolve": "resolved"}


def service_choices(uow: UnitOfWork, keep: str | None = None) -> list[tuple[str, str]]:
    """(id, name) of every active service by name, plus ``keep`` if it is archived."""
    rows = uow.session.execute(
        select(Service.id, Service.name)
        .where((Service.archived_at.is_(None)) | (Service.id == (keep or "")))
        .order_by(func.lower(Service.name))
    ).all()
    return [(r.id, r.name) for r in rows]


def _filters_url(
    service_id: str, status: list[Status], severity: list[Severity], q: str, **extra: str
) -> str:
    pairs: list[tuple[str, str]] = []
    if service_id:
        pairs.append(("service_id", service_id))
    pairs += [("status", s) for s in status] + [("severity", s) for s in severity]
    if q:
        pairs.append(("q", q))
    pairs += [(k, v) for k, v in extra.items() if v]
    return "/alerts" + (f"?{urlencode(pairs)}" if pairs else "")


@router.get("/alerts")
def list_alerts(
    request: Request,
    service_id: str = Query("", max_length=36),
    status: list[Status] = Query(default_factory=list),
    severity: list[Severity] = Query(default_factory=list),
    q: str = Query("", max_length=200),
    site: str = Query("", max_length=36),
    cursor: str | None = Query(None, max_length=400),
    done: Literal["acknowledged", "resolved", "none"] | None = None,
    count: int = Query(0, ge=0, le=500),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    q = q.strip()
    status = [s for s in STATUSES if s in status]  # each once, in a fixed order
    severity = [s for s in SEVERITIES if s in severity]
    shown: list[Status] = status or list(OPEN_STATUSES)  # type: ignore[arg-type]
    every = len(shown) == len(STATUSES)  # no status filter: the query can use its own index
    f = alerts.AlertFilter(
        service_id=service_id or None,
        status=() if every else shown,
        severity=severity,
        text=q,
        site_id=site or None,
    )
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = alerts.list_alerts(uow, f, cursor=cursor, limit=PAGE_SIZE)
        here = _filters_url(service_id, status, severity, q, site=site, cursor=cursor or "")
        return render(
            request,
            "alerts_list.html",
            caller,
            region="_alerts_table.html",
            alerts=page.items,
            services=service_choices(uow, keep=service_id),
            service_id=service_id,
            status=shown,
            severity=severity,
            q=q,
            statuses=STATUSES,
            severities=SEVERITIES,
            filtered=bool(service_id or status or severity or q or site),
            sites=site_choices(uow),
            site=site,
            can_act=caller.actor.role >= Role.RESPONDER,
            back=here,
            next_url=page.next_cursor
            and _filters_url(service_id, status, severity, q, site=site, cursor=page.next_cursor),
            first_url=cursor and _filters_url(service_id, status, severity, q, site=site),
            notice=_notice(done, count),
            **live_context(uow, f"service:{service_id}" if service_id else "alerts"),
        )


def _notice(done: str | None, count: int) -> str | None:
    if done == "none":
        return "No alerts were selected: tick the ones to act on first."
    if done in ("acknowledged", "resolved"):
        return f"{count} alert{'s' if count != 1 else ''} {done}."
    return None


def _back(url: str) -> str:
    """Where to return after a bulk action: a path of this site, else the alerts list."""
    if url.startswith("/") and not url.startswith(("//", "/\\")) and len(url) <= 2000:
        return url
    return "/alerts"


def _with_notice(url: str, done: str, count: int) -> str:
    base, _, query = url.partition("?")
    pairs = [p for p in query.split("&") if p and not p.startswith(("done=", "count="))]
    pairs += [f"done={done}", f"count={count}"]
    return f"{base}?{'&'.join(pairs)}"


@router.post("/alerts/bulk")
def bulk_action(
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    form: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    back = _back((form.get("back") or ["/alerts"])[0])
    action = (form.get("action") or [""])[0]
    ids = [i for i in form.get("ids", []) if i][: alerts.MAX_PAGE]
    if action not in ACTIONS:
        action = "acknowledge"
    if not ids:
        return see_other(_with_notice(back, "none", 0))
    with ctx.db.unit_of_work() as uow:
        command = (
            alerts.do_acknowledge_alerts if action == "acknowledge" else alerts.do_resolve_alerts
        )
        command(uow, caller.actor, ids)
        uow.commit()
    return see_other(_with_notice(back, ACTIONS[action], len(set(ids))))


@router.get("/alerts/{alert_id}")
def show_alert(
    request: Request,
    alert_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        alert = alerts.get_alert(uow, alert_id)
        return render(
            request,
            "alerts_show.html",
            caller,
            region="_alert_detail.html",
            alert=alert,
            integration=alert.integration,
            activity=_history(uow, alert),
            can_act=caller.actor.role >= Role.RESPONDER,
            correlation=alert_correlation(uow, caller.actor, alert.id),
            place=alert_place(uow, alert),
            **live_context(uow, f"alert:{alert.id}"),
        )


def _history(uow: UnitOfWork, alert: Alert) -> list[Event]:
    """The alert's own events, and the opening of its group when this alert opened it
    (that event is about the group: it is what pages)."""
    opened = [
        e
        for e in events_for(uow, "alert_group", alert.group_id, limit=20)
        if e.type == "alert_group.opened" and e.data.get("alert_id") == alert.id
    ]
    return sorted([*opened, *events_for(uow, "alert", alert.id)], key=lambda e: e.position)


@router.post("/alerts/{alert_id}/{action}")
def act_on_alert(
    alert_id: str,
    action: Literal["acknowledge", "resolve"],
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        command = (
            alerts.do_acknowledge_alerts if action == "acknowledge" else alerts.do_resolve_alerts
        )
        command(uow, caller.actor, [alert_id])
        uow.commit()
    return see_other(f"/alerts/{alert_id}")


@router.get("/alert-groups/{group_id}")
def show_group(
    request: Request,
    group_id: str,
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return group_page(request, caller, uow, group_id, cursor)


def group_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    group_id: str,
    cursor: str | None = None,
    *,
    escalation_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    """The alert group's page, rendered inside ``uow`` (a failed escalation form shows
    its errors in the Escalation card)."""
    group = alerts.get_group(uow, group_id)
    page = alerts.list_alerts(
        uow, alerts.AlertFilter(group_id=group.id), cursor=cursor, limit=PAGE_SIZE
    )
    base = f"/alert-groups/{group.id}"
    return render(
        request,
        "alert_groups_show.html",
        caller,
        status_code=status_code,
        region="_alert_group_detail.html",
        group=group,
        alerts=page.items,
        activity=events_for(uow, "alert_group", group.id),
        places=group_places(uow, group.id),
        can_act=caller.actor.role >= Role.RESPONDER,
        next_url=page.next_cursor and f"{base}?{urlencode({'cursor': page.next_cursor})}",
        first_url=cursor and base,
        **escalation_context(uow, group.id, caller, escalation_form),
        **live_context(uow, f"alert_group:{group.id}"),
    )


@router.post("/alert-groups/{group_id}/{action}")
def act_on_group(
    group_id: str,
    action: Literal["acknowledge", "resolve"],
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        command = (
            alerts.do_acknowledge_group if action == "acknowledge" else alerts.do_resolve_group
        )
        command(uow, caller.actor, group_id)
        uow.commit()
    return see_other(f"/alert-groups/{group_id}")
