"""Intake: normalised inbound alerts become stored, de-duplicated, routed, grouped alerts.

Precondition for :func:`do_ingest`: the integration is live (not revoked) and the alerts
were parsed and validated by :mod:`muster.integrations`. Everything a call does commits
with its unit of work, so a sender is answered 2xx only for what is stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from muster.db.uow import UnitOfWork
from muster.domain.alerts.grouping import group_key, group_window
from muster.domain.alerts.lifecycle import do_acknowledge, do_resolve
from muster.domain.alerts.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    Alert,
    AlertGroup,
    Integration,
    MaintenanceWindow,
)  # fmt: skip
from muster.domain.alerts.routing import Rule, first_match
from muster.domain.alerts.rules import load_rules
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.service import append_event
from muster.ids import new_id
from muster.integrations.normalized import InboundAlert

Result = Literal[
    "created", "deduplicated", "suppressed", "dropped", "acknowledged", "resolved", "ignored"
]  # fmt: skip
MAX_RAW_BYTES = 64 * 1024

# Built once: intake runs these for every event.
_OPEN_ALERT = select(Alert).where(
    Alert.service_id == bindparam("service_id"),
    Alert.dedup_key == bindparam("dedup_key"),
    Alert.status.in_(OPEN_STATUSES),
)
_RECENT_ALERTS = select(Alert.id, Alert.flapping).where(
    Alert.service_id == bindparam("service_id"),
    Alert.dedup_key == bindparam("dedup_key"),
    Alert.first_seen >= bindparam("since", type_=Alert.first_seen.type),
)


@dataclass(frozen=True)
class Outcome:
    result: Result
    dedup_key: str
    alert_id: str | None = None
    group_id: str | None = None
    pages: bool = False


def integration_actor(integration: Integration) -> Actor:
    return Actor(kind="integration", id=integration.id, label=f"{integration.type}:{integration.name}",
                 role=Role.RESPONDER, via=Via.INGEST)  # fmt: skip


def do_ingest(
    uow: UnitOfWork,
    integration: Integration,
    alerts: Sequence[InboundAlert],
    *,
    rules: Sequence[Rule] | None = None,
) -> list[Outcome]:
    """Apply each inbound alert in order; returns one outcome per alert."""
    actor = integration_actor(integration)
    rules = load_rules(uow) if rules is None else rules
    outcomes = [_ingest_one(uow, actor, integration, inbound, rules) for inbound in alerts]
    integration.last_received_at = uow.now
    return outcomes


def _ingest_one(
    uow: UnitOfWork,
    actor: Actor,
    integration: Integration,
    inbound: InboundAlert,
    rules: Sequence[Rule],
) -> Outcome:
    dedup_key = inbound.dedup_key or new_id()
    labels = dict(inbound.labels)
    severity: str = inbound.severity
    service_id = integration.service_id
    suppressed: str | None = None
    rule = first_match(_rule_view(inbound, dedup_key, service_id, integration.type), rules)
    if rule is not None:
        if rule.actions.drop:
            return Outcome("dropped", dedup_key)
        if rule.actions.route_to_service_id and _usable_service(
            uow, rule.actions.route_to_service_id
        ):
            service_id = rule.actions.route_to_service_id
        severity = rule.actions.set_severity or severity
        labels.update(rule.actions.add_labels)
        if rule.actions.suppress:
            suppressed = f"rule: {rule.name}"

    existing = _open_alert(uow, service_id, dedup_key)
    if inbound.action == "acknowledge":
        changed = existing is not None and do_acknowledge(uow, actor, existing)
        return _outcome("acknowledged" if changed else "ignored", dedup_key, existing)
    if inbound.action == "resolve":
        changed = existing is not None and do_resolve(uow, actor, existing)
        return _outcome("resolved" if changed else "ignored", dedup_key, existing)
    if existing is not None:
        _count_occurrence(uow, existing)
        return _outcome("deduplicated", dedup_key, existing)
    suppressed = suppressed or _maintenance_reason(uow, service_id, uow.now)
    if uow.dialect == "sqlite":
        # SQLite: this transaction holds the write lock, so nobody can race us to the key.
        return _open_new_alert(
            uow, actor, integration, inbound, service_id, dedup_key, severity, labels, suppressed
        )
    try:
        with uow.session.begin_nested():
            return _open_new_alert(uow, actor, integration, inbound, service_id, dedup_key,
                                   severity, labels, suppressed)  # fmt: skip
    except IntegrityError:
        # Another request opened the same dedup key a moment ago: count it there.
        existing = _open_alert(uow, service_id, dedup_key)
        if existing is None:
            raise
        _count_occurrence(uow, existing)
        return _outcome("deduplicated", dedup_key, existing)


def _open_new_alert(
    uow: UnitOfWork, actor: Actor, integration: Integration, inbound: InboundAlert,
    service_id: str, dedup_key: str, severity: str, labels: dict[str, str], suppressed: str | None,
) -> Outcome:  # fmt: skip
    service = _service(uow, service_id)
    now = uow.now
    flapping, already_flapping = _flapping(uow, service, dedup_key, now)
    alert_id = new_id()
    group, new_group = _group_for(uow, service, alert_id, dedup_key, labels, severity, inbound.summary,
                                  pages=suppressed is None and not already_flapping)  # fmt: skip
    alert = Alert(
        id=alert_id, service_id=service_id, integration_id=integration.id, group_id=group.id,
        dedup_key=dedup_key, status="triggered", severity=severity, summary=inbound.summary,
        details=inbound.details, source=inbound.source, component=inbound.component,
        group_name=inbound.group, class_name=inbound.class_, labels=labels,
        custom_details={**inbound.custom_details, **({"annotations": inbound.annotations} if inbound.annotations else {})},
        links=[asdict(link) for link in inbound.links], images=[asdict(i) for i in inbound.images],
        occurrences=1, first_seen=now, last_seen=now, occurred_at=inbound.occurred_at,
        suppressed_reason=suppressed, flapping=flapping, raw=_bounded_raw(inbound.raw),
    )  # fmt: skip
    uow.session.add(alert)
    uow.memo[("open_alert", service_id, dedup_key)] = alert
    uow.memo.setdefault(("new_alerts", service_id, dedup_key), []).append(alert)
    data = {"service_id": service_id, "group_id": group.id, "dedup_key": dedup_key, "severity": severity,
            "summary": inbound.summary, "suppressed": suppressed, "flapping": flapping}  # fmt: skip
    if new_group:
        # Opening a group is what pages: one event says both, on the service's alert stream.
        append_event(uow, actor, "alert_group.opened", subject_type="alert_group", subject_id=group.id,
                     stream=alert_stream(service_id), data={**data, "alert_id": alert.id, "pages": group.pages})  # fmt: skip
    else:
        _join_group(uow, actor, group, alert, data)
    result: Result = "suppressed" if suppressed else "created"
    return Outcome(result, dedup_key, alert.id, group.id, pages=new_group and group.pages)


def alert_stream(service_id: str) -> str:
    """Alert events chain per service, so one transaction locks one head per service."""
    return f"alerts:{service_id}"


def _group_for(
    uow: UnitOfWork, service: Service, alert_id: str, dedup_key: str, labels: dict[str, str],
    severity: str, summary: str, *, pages: bool,
) -> tuple[AlertGroup, bool]:  # fmt: skip
    setting = service.alert_grouping or {"mode": "none"}
    key = group_key(setting, alert_id=alert_id, dedup_key=dedup_key, labels=labels)
    memo_key = ("open_group", service.id, key)
    if setting.get("mode", "none") != "none":
        window = group_window(setting)
        cached: AlertGroup | None = uow.memo.get(memo_key)
        if (
            cached is not None
            and cached.status != "resolved"
            and (window is None or cached.first_seen >= uow.now - window)
        ):
            return cached, False
        query = select(AlertGroup).where(
            AlertGroup.service_id == service.id, AlertGroup.group_key == key,
            AlertGroup.status.in_(OPEN_STATUSES),
        )  # fmt: skip
        if window is not None:
            query = query.where(AlertGroup.first_seen >= uow.now - window)
        with uow.session.no_autoflush:
            group = uow.session.scalars(
                query.order_by(AlertGroup.first_seen.desc()).limit(1)
            ).first()
        if group is not None:
            uow.memo[memo_key] = group
            return group, False
    group = AlertGroup(
        id=new_id(), service_id=service.id, group_key=key, status="triggered", severity=severity,
        summary=summary, alert_count=1, pages=pages, first_seen=uow.now, last_seen=uow.now,
    )  # fmt: skip
    uow.session.add(group)
    uow.memo[memo_key] = group
    return group, True


def _join_group(
    uow: UnitOfWork, actor: Actor, group: AlertGroup, alert: Alert, data: dict[str, Any]
) -> None:
    group.alert_count += 1
    group.last_seen = uow.now
    if SEVERITY_RANK[alert.severity] > SEVERITY_RANK.get(group.severity, 0):
        group.severity = alert.severity
    reopened = group.status == "acknowledged"  # a new, unacknowledged alert re-opens the group
    if reopened:
        group.status = "triggered"
    append_event(uow, actor, "alert.triggered", subject_type="alert", subject_id=alert.id,
                 stream=alert_stream(group.service_id),
                 data={**data, "alert_count": group.alert_count, "reopened_group": reopened})  # fmt: skip


def _flapping(
    uow: UnitOfWork, service: Service, dedup_key: str, now: datetime
) -> tuple[bool, bool]:
    """(this trigger makes the key flapping, the key was already flagged in the window).

    A key that re-triggers more than ``flap_threshold`` times within the window is
    flapping; it pages once when it becomes so, and not again while it stays so.
    """
    since = now - _minutes(service.flap_window_minutes)
    with uow.session.no_autoflush:
        rows = uow.session.execute(
            _RECENT_ALERTS, {"service_id": service.id, "dedup_key": dedup_key, "since": since}
        )
        seen = {row.id: row.flapping for row in rows}
    for alert in uow.memo.get(("new_alerts", service.id, dedup_key), []):
        seen.setdefault(alert.id, alert.flapping)  # created in this transaction, maybe unflushed
    flags = list(seen.values())
    return len(flags) >= service.flap_threshold, any(flags)


def _service(uow: UnitOfWork, service_id: str) -> Service:
    """The service, held for the transaction (the session's identity map is weak)."""
    key = ("service", service_id)
    if key not in uow.memo:
        with uow.session.no_autoflush:
            uow.memo[key] = uow.session.get(Service, service_id)
    service: Service = uow.memo[key]
    return service


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def _count_occurrence(uow: UnitOfWork, alert: Alert) -> None:
    alert.occurrences += 1
    alert.last_seen = uow.now


def _open_alert(uow: UnitOfWork, service_id: str, dedup_key: str) -> Alert | None:
    """The open alert for the key: from this transaction's memo, else the database
    (read without flushing, so a batch's inserts go out together at commit)."""
    memo_key = ("open_alert", service_id, dedup_key)
    alert: Alert | None = uow.memo.get(memo_key)
    if alert is not None:
        return alert if alert.status in OPEN_STATUSES else None
    with uow.session.no_autoflush:
        alert = uow.session.scalars(
            _OPEN_ALERT, {"service_id": service_id, "dedup_key": dedup_key}
        ).first()
    if alert is not None:
        uow.memo[memo_key] = alert
    return alert


def _maintenance_reason(uow: UnitOfWork, service_id: str, now: datetime) -> str | None:
    key = ("maintenance", service_id)
    if key not in uow.memo:
        window = uow.session.scalars(
            select(MaintenanceWindow).where(
                MaintenanceWindow.service_id == service_id, MaintenanceWindow.starts_at <= now,
                MaintenanceWindow.ends_at > now, MaintenanceWindow.cancelled_at.is_(None),
            ).limit(1)
        ).first()  # fmt: skip
        uow.memo[key] = None if window is None else f"maintenance: {window.reason}"
    reason: str | None = uow.memo[key]
    return reason


def _usable_service(uow: UnitOfWork, service_id: str) -> bool:
    found = uow.session.scalar(select(func.count()).select_from(Service).where(
        Service.id == service_id, Service.archived_at.is_(None)))  # fmt: skip
    return bool(found)


def _rule_view(
    inbound: InboundAlert, dedup_key: str, service_id: str, integration_type: str
) -> dict[str, Any]:
    return {
        "summary": inbound.summary, "details": inbound.details, "source": inbound.source,
        "component": inbound.component, "group": inbound.group, "class": inbound.class_,
        "severity": inbound.severity, "dedup_key": dedup_key, "service_id": service_id,
        "integration_type": integration_type, "labels": inbound.labels,
    }  # fmt: skip


def _bounded_raw(raw: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(raw, default=str)
    if len(text) <= MAX_RAW_BYTES:
        return raw
    return {"truncated": True, "size": len(text), "head": text[:MAX_RAW_BYTES]}


def _outcome(result: Result, dedup_key: str, alert: Alert | None) -> Outcome:
    if alert is None:
        return Outcome(result, dedup_key)
    return Outcome(result, dedup_key, alert.id, alert.group_id)
