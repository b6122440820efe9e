"""Correlation pages: the rules (admins edit), the grouping settings, a match with the
site events that made it, and an alert cluster with why each alert is in it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.correlation import rules, settings, views
from muster.domain.correlation.models import CorrelationRule
from muster.domain.correlation.schemas import RuleIn, SettingsIn
from muster.domain.events.actor import Role
from muster.domain.events.service import events_for
from muster.domain.incidents.service import incident_types
from muster.domain.investigation.kinds import KIND_LABELS
from muster.domain.playbooks.models import Playbook
from muster.domain.sites.models import Site, Zone
from muster.errors import InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.alerts import SEVERITIES, service_choices
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted,
    run_command,
    see_other,
)
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
GROUPING_KINDS = ("ip", "user-account", "hostname", "domain", "email", "hash-sha256")
FORM_LABELS = {"kinds": "Event kinds", "window_minutes": "Window (minutes)",
               "ignored": "Never group by",
               "service_id": "Service", "incident_type": "Incident type",
               "incident_severity": "Incident severity", "playbook_key": "Playbook",
               "alert_severity": "Alert severity", "restricted_only": "Restricted zones only"}  # fmt: skip


@router.get("/correlation")
def overview(
    request: Request, caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        current = settings.get_settings(uow)
        form = blank_form(prefix="s", window_minutes=str(current.window_minutes),
                          ignored="\n".join(current.ignored or ()))  # fmt: skip
        return _overview(request, caller, uow, form)


@router.post("/correlation/settings")
def save_settings(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    kinds = [k for k in GROUPING_KINDS if fields.get(f"kind-{k}") == "1"]
    ignored = [line.strip() for line in fields.get("ignored", "").splitlines() if line.strip()]
    try:
        data = parse_form(SettingsIn, {"window_minutes": fields.get("window_minutes", ""),
                                       "kinds": kinds, "ignored": ignored})  # fmt: skip
        run_command(ctx, settings.do_update_settings, caller.actor, data)
    except InvalidInput as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            form = failed_form(fields, exc, prefix="s")
            form.labels = FORM_LABELS
            return _overview(request, caller, uow, form, status_code=exc.status)
    return see_other("/correlation#grouping")


def _overview(
    request: Request, caller: Caller, uow: UnitOfWork, form: FormState, *, status_code: int = 200
) -> Response:
    current = settings.get_settings(uow)
    responder = caller.actor.role >= Role.RESPONDER
    return render(
        request, "correlation.html", caller, status_code=status_code,
        rules=rules.list_rules(uow), service_names=dict(service_choices(uow)),
        matches=views.list_matches(uow, caller.actor, limit=20) if responder else [],
        clusters=[views.get_cluster(uow, c.id) for c in views.list_clusters(uow, limit=10)],
        settings=current, kinds=[(k, KIND_LABELS[k]) for k in GROUPING_KINDS], form=form,
        is_admin=caller.actor.role >= Role.ADMIN, can_see_matches=responder,
    )  # fmt: skip


@router.post("/correlation/rules/example")
def install_example(
    caller: Caller = Depends(ui_caller(Role.ADMIN)), ctx: AppContext = Depends(app_context)
) -> Response:
    run_command(ctx, rules.do_install_example, caller.actor)
    return see_other("/correlation")


@router.get("/correlation/rules/new")
def new_rule_page(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        form = blank_form(enabled="1", scope="zone", window_minutes="2", outcome="incident",
                          alert_severity="critical", incident_severity="2")  # fmt: skip
        return _form_page(request, caller, uow, form, rule=None)


@router.post("/correlation/rules/new")
def create_rule(
    request: Request,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = _rule_input(fields)
        rule = run_command(ctx, rules.do_create_rule, caller.actor, data)
    except InvalidInput as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            form = failed_form(fields, exc)
            form.labels = FORM_LABELS
            return _form_page(request, caller, uow, form, rule=None, status_code=exc.status)
    return see_other(f"/correlation#rule-{rule.id}")


@router.get("/correlation/rules/{rule_id}/edit")
def edit_rule_page(
    request: Request,
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rule = rules.get_rule(uow, rule_id)
        return _form_page(request, caller, uow, _values(rule), rule=rule)


@router.post("/correlation/rules/{rule_id}/edit")
def edit_rule(
    request: Request,
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = _rule_input(fields)
        run_command(ctx, rules.do_update_rule, caller.actor, rule_id, data)
    except InvalidInput as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            rule = rules.get_rule(uow, rule_id)
            form = failed_form(fields, exc)
            form.labels = FORM_LABELS
            return _form_page(request, caller, uow, form, rule=rule, status_code=exc.status)
    return see_other(f"/correlation#rule-{rule_id}")


@router.post("/correlation/rules/{rule_id}/delete")
def delete_rule(
    rule_id: str,
    caller: Caller = Depends(ui_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    run_command(ctx, rules.do_delete_rule, caller.actor, rule_id)
    return see_other("/correlation")


@router.get("/correlation/matches/{match_id}")
def match_page(
    request: Request,
    match_id: str,
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        match = views.get_match(uow, match_id)
        site = uow.session.get(Site, match.site_id)
        zone_ids = {e.zone_id for e in match.events if e.zone_id} | (
            {match.zone_id} if match.zone_id else set()
        )
        zones = {
            z.id: z.name for z in uow.session.scalars(select(Zone).where(Zone.id.in_(zone_ids)))
        }
        return render(request, "correlation_match.html", caller, match=match,
                      site=site, zones=zones)  # fmt: skip


@router.get("/alert-clusters/{cluster_id}")
def cluster_page(
    request: Request,
    cluster_id: str,
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        cluster = views.get_cluster(uow, cluster_id)
        return render(request, "correlation_cluster.html", caller, cluster=cluster,
                      service_names=dict(service_choices(uow)), kind_labels=KIND_LABELS)  # fmt: skip


def _rule_input(fields: dict[str, str]) -> RuleIn:
    kinds = [k.strip() for k in fields.get("kinds", "").replace("\n", ",").split(",") if k.strip()]
    return parse_form(
        RuleIn,
        {
            "name": fields.get("name", ""), "enabled": fields.get("enabled") == "1",
            "kinds": kinds, "scope": fields.get("scope", "zone"),
            "restricted_only": fields.get("restricted_only") == "1",
            "window_minutes": fields.get("window_minutes", ""),
            "outcome": fields.get("outcome", ""), "title": fields.get("title", ""),
            "alert_severity": fields.get("alert_severity") or "critical",
            "service_id": fields.get("service_id") or None,
            "incident_type": fields.get("incident_type") or None,
            "incident_severity": fields.get("incident_severity") or None,
            "playbook_key": fields.get("playbook_key") or None,
        },
    )  # fmt: skip


def _values(rule: CorrelationRule) -> FormState:
    form = blank_form(
        name=rule.name, enabled="1" if rule.enabled else "", kinds=", ".join(rule.kinds),
        scope=rule.scope, restricted_only="1" if rule.restricted_only else "",
        window_minutes=str(rule.window_minutes), outcome=rule.outcome, title=rule.title,
        alert_severity=rule.alert_severity, service_id=rule.service_id or "",
        incident_type=rule.incident_type or "",
        incident_severity=str(rule.incident_severity or ""),
        playbook_key=rule.playbook_key or "",
    )  # fmt: skip
    form.labels = FORM_LABELS
    return form


def _form_page(
    request: Request, caller: Caller, uow: UnitOfWork, form: FormState, *,
    rule: CorrelationRule | None, status_code: int = 200,
) -> Response:  # fmt: skip
    playbooks = uow.session.execute(
        select(Playbook.key, Playbook.name)
        .where(Playbook.archived_at.is_(None))
        .order_by(Playbook.name)
    ).all()
    context: dict[str, Any] = {
        "form": form, "rule": rule,
        "services": service_choices(uow, keep=form.value("service_id") or None),
        "severities": [(s, s) for s in SEVERITIES],
        "types": [(t.key, t.name) for t in incident_types(uow)],
        "sevs": [(str(n), f"SEV{n}") for n in range(1, 6)],
        "playbooks": [(k, n) for k, n in playbooks],
        "activity": events_for(uow, "correlation_rule", rule.id) if rule else [],
    }  # fmt: skip
    return render(request, "correlation_form.html", caller, status_code=status_code, **context)
