"""The service page and its alerting sections: open alerts (live), integrations,
maintenance windows, alert handling (grouping, flapping) and paging (escalation policy,
urgency)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.alerts import maintenance
from muster.domain.alerts import service as alerts
from muster.domain.alerts.integrations import integration_url, list_integrations
from muster.domain.alerts.models import OPEN_STATUSES
from muster.domain.alerts.schemas import MaintenanceIn
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.catalog import service as catalog
from muster.domain.escalation import service as policies
from muster.domain.escalation.schemas import ServicePagingIn
from muster.domain.events.actor import Role
from muster.domain.events.service import events_for
from muster.errors import FieldError, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.ui import service_paging as paging
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted,
    posted_lists,
    see_other,
)
from muster.web.ui.integration_config import form_context
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)

OPEN_ALERTS_SHOWN = 10
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
INTEGRATION_TYPES = [
    ("alertmanager", "Prometheus Alertmanager"),
    ("grafana", "Grafana alerting"),
    ("pagerduty", "PagerDuty Events API v2"),
    ("generic", "Generic JSON webhook"),
    ("email", "Email"),
    ("heartbeat", "Heartbeat (alerts when pings stop)"),
    ("wazuh", "Wazuh alerts (integrator JSON)"),
    ("suricata", "Suricata EVE JSON"),
    ("falco", "Falco HTTP output"),
    ("elastic", "Elastic Security alert webhook"),
    ("splunk", "Splunk webhook alert action"),
    ("cef", "CEF (HTTP, or syslog with muster serve --syslog-port)"),
    ("frigate", "Frigate NVR (MQTT)"),
    ("access_control", "Access control webhook"),
    ("access_control_mqtt", "Access control over MQTT"),
]
GROUPING_MODES = [
    ("none", "None: every alert is its own group"),
    ("dedup", "Same dedup key"),
    ("labels", "Same values of chosen labels"),
]
SAVED = {
    "integration": "The integration was added: paste its URL or address into the sender.",
    "key": "A new key was made: the old URL or key no longer works.",
    "revoked": "The integration was revoked: its key no longer works.",
    "maintenance": "The maintenance window was scheduled.",
    "cancelled": "The maintenance window was cancelled.",
    "handling": "Alert handling was saved.",
    "paging": "Paging was saved.",
}


def service_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    ctx: AppContext,
    service_id: str,
    *,
    integration_form: FormState | None = None,
    maintenance_form: FormState | None = None,
    handling_form: FormState | None = None,
    paging_form: FormState | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    """The whole service page, rendered inside ``uow``; a failed form shows its errors."""
    service = catalog.get_service(uow, service_id)
    open_alerts = alerts.list_alerts(
        uow,
        alerts.AlertFilter(service_id=service.id, status=OPEN_STATUSES),
        limit=OPEN_ALERTS_SHOWN,
    )
    integrations = [
        (i, integration_url(i, ctx.settings.base_url, ctx.settings.email_domain))
        for i in list_integrations(uow, service.id)
    ]
    failed = next(
        (
            f
            for f in (integration_form, maintenance_form, handling_form, paging_form)
            if f and f.problem
        ),
        None,
    )
    return render(
        request,
        "services_show.html",
        caller,
        status_code=status_code,
        region="_service_alerts.html",
        service=service,
        activity=events_for(uow, "service", service.id),
        can_manage=caller.actor.role >= Role.MANAGER,
        can_respond=caller.actor.role >= Role.RESPONDER,
        open_alerts=open_alerts.items,
        more_alerts=open_alerts.next_cursor is not None,
        integrations=integrations,
        integration_types=INTEGRATION_TYPES,
        windows=maintenance.list_maintenance(uow, service.id),
        now=uow.now,
        grouping_modes=GROUPING_MODES,
        integration_form=integration_form
        or blank_form(
            "i",
            type="alertmanager",
            interval_seconds="300",
            grace_seconds="60",
            resolve_words="RESOLVED, [OK]",
        ),
        maintenance_form=maintenance_form or _blank_window(uow.now, caller),
        handling_form=handling_form or _handling_values(service),
        failed=failed,
        notice=notice,
        **paging.paging_context(uow, service, paging_form),
        config_ctx=form_context(uow),  # the config fields of physical-security and CEF types
        **live_context(uow, f"service:{service.id}"),
    )


def saved_notice(key: str | None) -> str | None:
    return SAVED.get(key or "")


def _zone(caller: Caller) -> ZoneInfo:
    return ZoneInfo(caller.user.time_zone)


def _blank_window(now: datetime, caller: Caller) -> FormState:
    start = now.astimezone(_zone(caller)).replace(second=0, microsecond=0)
    return blank_form(
        "m",
        starts_at=start.strftime(LOCAL_FORMAT),
        ends_at=(start + timedelta(hours=1)).strftime(LOCAL_FORMAT),
    )


def _handling_values(service: Any) -> FormState:
    grouping = service.alert_grouping or {}
    return blank_form(
        "h",
        mode=str(grouping.get("mode", "none")),
        labels=", ".join(grouping.get("labels") or []),
        window_minutes=str(grouping.get("window_minutes", 60)),
        flap_threshold=str(service.flap_threshold),
        flap_window_minutes=str(service.flap_window_minutes),
    )


def local_to_utc(text: str, zone: ZoneInfo) -> datetime | None:
    """A wall time typed in ``zone`` (``2026-03-29T02:30``) as UTC; None if unreadable."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


@router.post("/services/{service_id}/maintenance-windows")
def schedule_window(
    request: Request,
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = parse_form(MaintenanceIn, _window_input(fields, _zone(caller)))
        with ctx.db.unit_of_work() as uow:
            maintenance.do_create_maintenance(uow, caller.actor, service_id, data)
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="m", renames={"input": "ends_at"})
        with ctx.db.unit_of_work(readonly=True) as uow:
            return service_page(
                request, caller, uow, ctx, service_id, maintenance_form=form, status_code=exc.status
            )
    return see_other(f"/services/{service_id}?saved=maintenance#maintenance")


def _window_input(fields: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    problems: list[FieldError] = []
    values: dict[str, Any] = {"reason": fields.get("reason", "")}
    for name in ("starts_at", "ends_at"):
        value = local_to_utc(fields.get(name, ""), zone)
        if value is None:
            problems.append(FieldError(name, "give a date and time, e.g. 2026-01-05T14:00"))
        values[name] = value
    if problems:
        raise InvalidInput("please correct the marked fields", errors=problems)
    return values


@router.post("/maintenance-windows/{window_id}/cancel")
def cancel_window(
    window_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        window = maintenance.do_cancel_maintenance(uow, caller.actor, window_id)
        service_id = window.service_id
        uow.commit()
    return see_other(f"/services/{service_id}?saved=cancelled#maintenance")


HANDLING_RENAMES = {
    "grouping.mode": "mode",
    "grouping.labels": "labels",
    "grouping.window_minutes": "window_minutes",
    "grouping": "labels",
}


@router.post("/services/{service_id}/alert-settings")
def save_handling(
    request: Request,
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    labels = [w.strip() for w in fields.get("labels", "").split(",") if w.strip()]
    data_in = {
        "grouping": {
            "mode": fields.get("mode", "none"),
            "labels": labels,
            "window_minutes": fields.get("window_minutes") or 60,
        },
        "flap_threshold": fields.get("flap_threshold") or None,
        "flap_window_minutes": fields.get("flap_window_minutes") or None,
    }
    try:
        data = parse_form(AlertSettingsIn, data_in)
        with ctx.db.unit_of_work() as uow:
            do_update_alert_settings(uow, caller.actor, service_id, data)
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="h", renames=HANDLING_RENAMES)
        with ctx.db.unit_of_work(readonly=True) as uow:
            return service_page(
                request, caller, uow, ctx, service_id, handling_form=form, status_code=exc.status
            )
    return see_other(f"/services/{service_id}?saved=handling#handling")


@router.post("/services/{service_id}/paging")
def save_paging(
    request: Request,
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Set the service's escalation policy and urgency rules (managers)."""
    try:
        data = parse_form(ServicePagingIn, paging.paging_input(fields))
        with ctx.db.unit_of_work() as uow:
            policies.do_assign_policy(uow, caller.actor, service_id, data)
            uow.commit()
    except InvalidInput as exc:
        values = {name: ",".join(v) for name, v in fields.items()}
        form = failed_form(values, exc, prefix=paging.PREFIX, renames=paging.RENAMES)
        with ctx.db.unit_of_work(readonly=True) as uow:
            return service_page(
                request, caller, uow, ctx, service_id, paging_form=form, status_code=exc.status
            )
    return see_other(f"/services/{service_id}?saved=paging#paging")
