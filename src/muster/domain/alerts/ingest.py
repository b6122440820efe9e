"""Intake: normalised inbound alerts become stored, de-duplicated, routed, grouped alerts.

Precondition for :func:`do_ingest`: the integration is live (not revoked) and the alerts
were parsed and validated by :mod:`muster.integrations`. Everything a call does commits
with its unit of work, so a sender is answered 2xx only for what is stored.

Intake looks up what it needs for all of a call's alerts at once and writes in bulk (see
:mod:`muster.domain.alerts.ingest_store`); :func:`prepare_ingest` does the look-ups for
many calls that will share one transaction. A single alert is a batch of one.

Writers are serialised (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL:
see :meth:`muster.db.uow.Database.unit_of_work`), so the open alert read here cannot be
opened by anyone else before this transaction commits; the partial unique index on open
alerts stands behind that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from muster.db.uow import UnitOfWork
from muster.domain.alerts.grouping import group_key, group_window
from muster.domain.alerts.ingest_store import IntakeStore, Key, OpenAlert, ServiceSettings
from muster.domain.alerts.lifecycle import alert_stream, do_acknowledge, do_resolve
from muster.domain.alerts.models import SEVERITY_RANK, Alert, AlertGroup, Integration
from muster.domain.alerts.routing import Rule, first_match
from muster.domain.alerts.rules import load_rules
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.service import append_event
from muster.ids import new_id
from muster.integrations.normalized import InboundAlert

Result = Literal[
    "created", "deduplicated", "suppressed", "dropped", "acknowledged", "resolved", "ignored"
]  # fmt: skip
MAX_RAW_BYTES = 64 * 1024


@dataclass(frozen=True)
class Outcome:
    result: Result
    dedup_key: str
    alert_id: str | None = None
    group_id: str | None = None
    pages: bool = False


@dataclass(frozen=True, slots=True)
class _Routed:
    """An inbound alert after the routing rules: where it goes and what it becomes."""

    inbound: InboundAlert
    key: Key  # (service id, dedup key)
    severity: str
    labels: dict[str, str]
    suppressed: str | None
    dropped: bool
    made_up_key: bool  # the sender gave no dedup key


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
    store = IntakeStore.of(uow)
    routed = [_route(store, integration, inbound, rules) for inbound in alerts]
    store.prefetch(_keys_to_look_up(store, routed))
    outcomes = [_apply(uow, store, actor, integration, r) for r in routed]
    integration.last_received_at = uow.now
    return outcomes


def prepare_ingest(
    uow: UnitOfWork,
    requests: Iterable[tuple[Integration, Sequence[InboundAlert]]],
    rules: Sequence[Rule],
) -> None:
    """Look up at once what :func:`do_ingest` will need for each of ``requests`` in this
    unit of work (it would otherwise look up each call's alerts on its own)."""
    store = IntakeStore.of(uow)
    routed = [
        _route(store, integration, inbound, rules, make_up_keys=False)
        for integration, alerts in requests
        for inbound in alerts
    ]
    store.prefetch(_keys_to_look_up(store, routed))


def _keys_to_look_up(store: IntakeStore, routed: Sequence[_Routed]) -> Iterable[Key]:
    for r in routed:
        if r.dropped:
            continue
        if not r.made_up_key:
            yield r.key
        elif r.key[1]:
            store.known_new(r.key)


def _route(
    store: IntakeStore, integration: Integration, inbound: InboundAlert, rules: Sequence[Rule],
    *, make_up_keys: bool = True,
) -> _Routed:  # fmt: skip
    made_up = not inbound.dedup_key
    dedup_key = inbound.dedup_key or (new_id() if make_up_keys else "")
    labels = dict(inbound.labels)
    severity: str = inbound.severity
    service_id = integration.service_id
    suppressed: str | None = None
    rule = (
        first_match(_rule_view(inbound, dedup_key, service_id, integration.type), rules)
        if rules
        else None
    )
    if rule is not None:
        if rule.actions.drop:
            return _Routed(inbound, (service_id, dedup_key), severity, labels, None, True, made_up)
        target = rule.actions.route_to_service_id
        if target and (settings := store.service(target)) is not None and not settings.archived:
            service_id = target
        severity = rule.actions.set_severity or severity
        labels.update(rule.actions.add_labels)
        if rule.actions.suppress:
            suppressed = f"rule: {rule.name}"
    return _Routed(inbound, (service_id, dedup_key), severity, labels, suppressed, False, made_up)


def _apply(
    uow: UnitOfWork, store: IntakeStore, actor: Actor, integration: Integration, routed: _Routed
) -> Outcome:
    service_id, dedup_key = routed.key
    if routed.dropped:
        return Outcome("dropped", dedup_key)
    existing = store.open_alert(routed.key)
    action = routed.inbound.action
    if action in ("acknowledge", "resolve"):
        if existing is None or (action == "acknowledge" and existing.status != "triggered"):
            return _outcome("ignored", dedup_key, existing)
        changed = _change_status(uow, store, actor, existing, action)
        if not changed:
            return _outcome("ignored", dedup_key, existing)
        return _outcome(
            "acknowledged" if action == "acknowledge" else "resolved", dedup_key, existing
        )
    if existing is not None:
        store.count_occurrence(existing)
        return _outcome("deduplicated", dedup_key, existing)
    suppressed = routed.suppressed or store.maintenance_reason(service_id)
    settings = store.service(service_id)
    assert settings is not None, "an integration's service and a rule's target exist"
    return _open_new_alert(uow, store, actor, integration, routed, settings, suppressed)


def _change_status(
    uow: UnitOfWork, store: IntakeStore, actor: Actor, open_alert: OpenAlert, action: str
) -> bool:
    """Acknowledge or resolve through the lifecycle shared with people, on stored rows."""
    uow.flush()  # write what intake holds, so the lifecycle sees the alert and its group
    session = uow.session
    alert = session.get(Alert, open_alert.id, populate_existing=True)
    group = session.get(AlertGroup, open_alert.group_id, populate_existing=True)
    assert alert is not None
    assert group is not None
    changed = (
        do_acknowledge(uow, actor, alert)
        if action == "acknowledge"
        else do_resolve(uow, actor, alert)
    )
    uow.flush()  # and let intake read what the lifecycle changed
    store.forget(open_alert, alert.status, group.status)
    return changed


def _open_new_alert(
    uow: UnitOfWork, store: IntakeStore, actor: Actor, integration: Integration,
    routed: _Routed, settings: ServiceSettings, suppressed: str | None,
) -> Outcome:  # fmt: skip
    inbound, now, (service_id, dedup_key) = routed.inbound, uow.now, routed.key
    # A key that re-triggers ``flap_threshold`` times within the window is flapping; it
    # pages once when it becomes so, and not again while it stays so.
    history = store.history(routed.key)
    flapping, already_flapping = len(history) >= settings.flap_threshold, any(history)
    alert_id = new_id()
    pages = suppressed is None and not already_flapping
    key = group_key(settings.grouping, alert_id=alert_id, dedup_key=dedup_key, labels=routed.labels)
    group = None
    if settings.grouping.get("mode", "none") != "none":
        group = store.open_group(service_id, key, group_window(settings.grouping))
    new_group = group is None
    if group is None:
        group = store.add_group({
            "id": new_id(), "service_id": service_id, "group_key": key, "status": "triggered",
            "severity": routed.severity, "summary": inbound.summary, "alert_count": 1, "pages": pages,
            "first_seen": now, "last_seen": now, "acknowledged_at": None, "acknowledged_by": None,
            "resolved_at": None, "resolved_by": None,
        })  # fmt: skip
    custom: dict[str, Any] = inbound.custom_details
    if inbound.annotations:
        custom = {**custom, "annotations": inbound.annotations}
    store.add_alert({
        "id": alert_id, "service_id": service_id, "integration_id": integration.id,
        "group_id": group.id, "dedup_key": dedup_key, "status": "triggered", "severity": routed.severity,
        "summary": inbound.summary, "details": inbound.details, "source": inbound.source,
        "component": inbound.component, "group_name": inbound.group, "class_name": inbound.class_,
        "labels": routed.labels, "custom_details": custom,
        "links": [{"href": link.href, "text": link.text} for link in inbound.links],
        "images": [{"src": i.src, "href": i.href, "alt": i.alt} for i in inbound.images],
        "occurrences": 1, "first_seen": now, "last_seen": now, "occurred_at": inbound.occurred_at,
        "acknowledged_at": None, "acknowledged_by": None, "resolved_at": None, "resolved_by": None,
        "suppressed_reason": suppressed, "flapping": flapping, "raw": _bounded_raw(inbound.raw),
    })  # fmt: skip
    data = {"service_id": service_id, "group_id": group.id, "dedup_key": dedup_key, "severity": routed.severity,
            "summary": inbound.summary, "suppressed": suppressed, "flapping": flapping}  # fmt: skip
    if new_group:
        # Opening a group is what pages: one event says both, on the service's alert stream.
        append_event(uow, actor, "alert_group.opened", subject_type="alert_group", subject_id=group.id,
                     stream=alert_stream(service_id), data={**data, "alert_id": alert_id, "pages": pages})  # fmt: skip
    else:
        reopened = store.join(group, routed.severity, SEVERITY_RANK)
        append_event(uow, actor, "alert.triggered", subject_type="alert", subject_id=alert_id,
                     stream=alert_stream(service_id),
                     data={**data, "alert_count": group.alert_count, "reopened_group": reopened})  # fmt: skip
    result: Result = "suppressed" if suppressed else "created"
    return Outcome(result, dedup_key, alert_id, group.id, pages=new_group and pages)


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
    try:
        # The standard library's text is at most three times orjson's bytes (escapes of
        # non-ASCII, spaces after separators): most payloads need no exact measure.
        if 3 * len(orjson.dumps(raw)) <= MAX_RAW_BYTES:
            return raw
    except TypeError:
        pass
    text = json.dumps(raw, default=str)
    if len(text) <= MAX_RAW_BYTES:
        return raw
    return {"truncated": True, "size": len(text), "head": text[:MAX_RAW_BYTES]}


def _outcome(result: Result, dedup_key: str, alert: OpenAlert | None) -> Outcome:
    if alert is None:
        return Outcome(result, dedup_key)
    return Outcome(result, dedup_key, alert.id, alert.group_id)
