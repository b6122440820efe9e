"""Incidents: the filtered list (live), saved views, and the declare form (from scratch,
or from an alert group with its fields filled in)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.alerts import service as alerts
from muster.domain.alerts.models import AlertGroup
from muster.domain.events.actor import Role
from muster.domain.incidents import saved_views
from muster.domain.incidents.lifecycle import OPEN_STATUSES, STATUS_LABELS
from muster.domain.incidents.links import incident_of_group
from muster.domain.incidents.roles import current_roles_of
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import (
    IncidentFilter,
    do_declare_incident,
    incident_types,
    list_incidents,
    severity_levels,
)
from muster.domain.incidents.visibility import can_see, sees_all_restricted
from muster.errors import Conflict, FieldError, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.ui.alerts import service_choices
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted_lists,
    see_other,
)
from muster.web.ui.incident_choices import (
    SEVERITY_FROM_ALERT,
    group_incident,
    local_input,
    parse_local,
    people_choices,
    split_list,
)
from muster.web.ui.render import env, render
from muster.web.ui.sites import site_choices

router = APIRouter(include_in_schema=False)
env.globals["group_incident"] = group_incident  # the alert group page's "Incident" card

LIST_SIZE = 50
TIME_LABELS = {
    "detected_at": "Detected", "investigating_at": "Investigating", "contained_at": "Contained",
    "eradicated_at": "Eradicated", "recovering_at": "Recovering", "resolved_at": "Resolved",
    "in_review_at": "In review", "closed_at": "Closed",
}  # fmt: skip
STATUSES = tuple(STATUS_LABELS)
LEVELS = (1, 2, 3, 4, 5)
# Domain field names (with list indexes) → the declare form's fields.
RENAMES = {"service_ids": "service_ids", "group_ids": "group_ids", "sites": "sites", "tags": "tags"}
TEXT_FIELDS = ("title", "summary", "type", "severity", "impact", "sites", "tags", "restricted")


def _bad_filter(field: str, reason: str) -> InvalidInput:
    return InvalidInput("bad filter", errors=[FieldError(field, reason)])


def list_url(params: dict[str, Any], **extra: str) -> str:
    """The list's URL for these filters (lists repeat their name), plus ``extra``."""
    pairs: list[tuple[str, str]] = []
    for name in saved_views.VIEW_PARAMS:
        value = params.get(name)
        if isinstance(value, list | tuple):
            pairs += [(name, str(v)) for v in value]
        elif value:
            pairs.append((name, str(value)))
    pairs += [(k, v) for k, v in extra.items() if v]
    return "/incidents" + (f"?{urlencode(pairs)}" if pairs else "")


@router.get("/incidents")
def list_page(
    request: Request,
    status: list[str] = Query(default_factory=list),
    severity: list[int] = Query(default_factory=list),
    type: list[str] = Query(default_factory=list),
    service_id: str = Query("", max_length=36),
    site: str = Query("", max_length=80),
    holder: str = Query("", max_length=36),
    q: str = Query("", max_length=200),
    cursor: str | None = Query(None, max_length=400),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    for s in status:
        if s not in STATUSES:
            raise _bad_filter("status", f"unknown status {s[:40]!r}")
    for level in severity:
        if level not in LEVELS:
            raise _bad_filter("severity", "must be 1 to 5")
    status = [s for s in STATUSES if s in status]
    severity = [lv for lv in LEVELS if lv in severity]
    type = [t for t in dict.fromkeys(type) if t]
    params: dict[str, Any] = {
        "status": status, "severity": severity, "type": type, "service_id": service_id,
        "site": site.strip(), "holder": holder, "q": q.strip(),
    }  # fmt: skip
    shown = status or list(OPEN_STATUSES)
    f = IncidentFilter(
        status=shown, severity=severity, type=type, service_id=service_id or None,
        site=site.strip() or None, role_holder_id=holder or None, text=q.strip() or None,
    )  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = list_incidents(uow, caller.actor, f, cursor=cursor, limit=LIST_SIZE)
        ids = [i.id for i in page.items]
        services = service_choices(uow, keep=service_id)
        return render(
            request,
            "incidents_list.html",
            caller,
            region="_incidents_table.html",
            incidents=page.items,
            holders=current_roles_of(uow, ids),
            service_names=dict(services),
            levels={lv.level: lv for lv in severity_levels(uow)},
            types=[(t.key, t.name) for t in incident_types(uow)],
            services=services,
            site_names=[name for _id, name in site_choices(uow)],
            people=people_choices(uow),
            statuses=[(s, STATUS_LABELS[s]) for s in STATUSES],
            params=params,
            shown=shown,
            filtered=any(params.values()),
            query=list_url(params).partition("?")[2],
            views=saved_views.list_views(uow, caller.actor),
            view_form=blank_form("view"),
            can_declare=caller.actor.role >= Role.RESPONDER,
            next_url=page.next_cursor and list_url(params, cursor=page.next_cursor),
            first_url=cursor and list_url(params),
            **live_context(uow, "incidents"),
        )


@router.post("/incidents/views")
def save_view(
    caller: Caller = Depends(ui_caller()),
    form: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    fields = {k: v[0] for k, v in form.items() if v}
    data = parse_form(
        saved_views.SavedViewIn,
        {
            "name": fields.get("name", ""),
            "query": fields.get("query", ""),
            "shared": "shared" in fields,
        },
    )
    with ctx.db.unit_of_work() as uow:
        view = saved_views.do_save_view(uow, caller.actor, data)
        uow.commit()
        query = view.query
    return see_other("/incidents" + (f"?{query}" if query else ""))


@router.post("/incidents/views/{view_id}/delete")
def delete_view(
    view_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        saved_views.do_delete_view(uow, caller.actor, view_id)
        uow.commit()
    return see_other("/incidents")


@router.get("/incidents/new")
def new_page(
    request: Request,
    group_id: str = Query("", max_length=36),
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        form, selected, groups = blank_form(severity="3", type="operational"), [], []
        if group_id:
            group = alerts.get_group(uow, group_id)
            linked = incident_of_group(uow, group.id)
            if linked is not None and can_see(uow, caller.actor, linked):
                return see_other(f"/incidents/{linked.id}")
            form = blank_form(
                title=group.summary[:200],
                severity=SEVERITY_FROM_ALERT.get(group.severity, "3"),
                type="operational",
                detected_at=local_input(group.first_seen, caller),
            )
            selected, groups = [group.service_id], [group]
        return form_page(request, caller, uow, form, selected, groups)


def form_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    form: FormState,
    selected: list[str],
    groups: list[Any],
    *,
    status_code: int = 200,
    editing: Any = None,
    times_form: FormState | None = None,
) -> Response:
    """The declare form, or (``editing`` an incident) the form changing its details."""
    return render(
        request,
        "incidents_form.html",
        caller,
        status_code=status_code,
        f=form,
        editing=editing,
        can_manage=caller.actor.role >= Role.MANAGER,
        times_form=times_form or blank_form("times"),
        time_fields=[(f, TIME_LABELS[f]) for f in TIME_LABELS if editing and getattr(editing, f)],
        can_restrict=caller.actor.role >= Role.MANAGER or sees_all_restricted(uow, caller.actor),
        levels=severity_levels(uow),
        types=incident_types(uow),
        services=service_choices(uow),
        site_options=site_choices(uow) if editing else [],
        selected_services=selected,
        people=people_choices(uow),
        groups=groups,
    )


def declare_input(form: dict[str, list[str]], caller: Caller) -> IncidentCreate:
    """The declare form's fields as the command's input."""
    one = {k: v[0] for k, v in form.items() if v}
    data: dict[str, Any] = {
        "title": one.get("title", ""),
        "summary": one.get("summary", ""),
        "type": one.get("type", ""),
        "severity": one.get("severity", ""),
        "impact": one.get("impact", ""),
        "customer_facing": "customer_facing" in one,
        "service_ids": [s for s in form.get("service_ids", []) if s],
        "group_ids": [g for g in form.get("group_ids", []) if g],
        "sites": split_list(one.get("sites", "")),
        "tags": split_list(one.get("tags", "")),
        "restricted": {"yes": True, "no": False}.get(one.get("restricted", "")),
        "detected_at": parse_local(one.get("detected_at", ""), caller, field="detected_at"),
    }
    if one.get("commander_id"):
        data["commander_id"] = one["commander_id"]
    return parse_form(IncidentCreate, data)


@router.post("/incidents/new")
def declare(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    form: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = declare_input(form, caller)
        with ctx.db.unit_of_work() as uow:
            incident = do_declare_incident(uow, caller.actor, data)
            uow.commit()
            incident_id = incident.id
    except (InvalidInput, Conflict) as exc:
        values = {k: v[0] for k, v in form.items() if v}
        failed = failed_form(values, exc, renames=RENAMES)
        with ctx.db.unit_of_work(readonly=True) as uow:
            group_ids = [g for g in form.get("group_ids", []) if g]
            groups = [g for i in group_ids if (g := uow.session.get(AlertGroup, i)) is not None]
            return form_page(
                request, caller, uow, failed, form.get("service_ids", []), groups,
                status_code=exc.status,
            )  # fmt: skip
    return see_other(f"/incidents/{incident_id}")
