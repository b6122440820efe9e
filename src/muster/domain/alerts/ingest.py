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
from muster.domain.events.service import NewEvent, append_events
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


@dataclass(frozen=True, slots=True)
class _Source:
    """What intake reads of the integration for every alert, read once per call."""

    id: str
    service_id: str
    type: str
    actor: Actor


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
    """Apply each inbound alert in order; returns one outcome per alert.

    A duplicate changes nothing but counters; the call records its duplicates in one
    ``alerts.repeated`` event per service (per :data:`REPEATED_PER_EVENT` alerts), so
    pages showing the counts hear of it without an event per duplicate.
    """
    source = _Source(integration.id, integration.service_id, integration.type,
                     integration_actor(integration))  # fmt: skip
    rules = load_rules(uow) if rules is None else rules
    store = IntakeStore.of(uow)
    routed = [_route(store, source, inbound, rules) for inbound in alerts]
    store.prefetch(_keys_to_look_up(store, routed))
    log = _Log(uow, source)
    outcomes = [_apply(uow, store, source, r, log) for r in routed]
    log.write()
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
    routed: list[_Routed] = []
    for integration, alerts in requests:
        source = _Source(integration.id, integration.service_id, integration.type, _NO_ACTOR)
        routed += [_route(store, source, inbound, rules, make_up_keys=False) for inbound in alerts]
    store.prefetch(_keys_to_look_up(store, routed))


_NO_ACTOR = Actor(kind="integration", id=None, label="", role=Role.VIEWER, via=Via.INGEST)
REPEATED_PER_EVENT = 100


class _Log:
    """The events of one intake call, appended in bulk and in order: at the call's end,
    and before a status change (which appends its own through the lifecycle).

    Duplicates are logged as ``alerts.repeated``: one event per service and
    :data:`REPEATED_PER_EVENT` alerts, naming the alerts and how often they came again.
    """

    def __init__(self, uow: UnitOfWork, source: _Source) -> None:
        self.uow = uow
        self.source = source
        self.events: list[tuple[str, NewEvent]] = []  # (stream, event)
        self.repeated: dict[str, dict[str, tuple[str, int]]] = {}  # service -> alert -> (group, n)

    def add(self, service_id: str, event: NewEvent) -> None:
        self.events.append((alert_stream(service_id), event))

    def repeat(self, service_id: str, alert: OpenAlert) -> None:
        alerts = self.repeated.get(service_id)
        if alerts is None:
            alerts = self.repeated[service_id] = {}
        _, times = alerts.get(alert.id, ("", 0))
        alerts[alert.id] = (alert.group_id, times + 1)

    def write(self) -> None:
        for service_id, alerts in self.repeated.items():
            items = list(alerts.items())
            for start in range(0, len(items), REPEATED_PER_EVENT):
                chunk = items[start : start + REPEATED_PER_EVENT]
                self.add(service_id, ("alerts.repeated", "integration", self.source.id, {
                    "service_id": service_id, "integration_id": self.source.id,
                    "alert_ids": [alert_id for alert_id, _ in chunk],
                    "group_ids": sorted({group_id for _, (group_id, _) in chunk}),
                    "occurrences": sum(n for _, (_, n) in chunk),
                }))  # fmt: skip
        self.repeated.clear()
        start = 0
        for end in range(1, len(self.events) + 1):  # runs of one stream, in order
            if end == len(self.events) or self.events[end][0] != self.events[start][0]:
                run = [event for _, event in self.events[start:end]]
                append_events(self.uow, self.source.actor, self.events[start][0], run)
                start = end
        self.events.clear()


def _keys_to_look_up(store: IntakeStore, routed: Sequence[_Routed]) -> Iterable[Key]:
    for r in routed:
        if r.dropped:
            continue
        if not r.made_up_key:
            yield r.key
        elif r.key[1]:
            store.known_new(r.key)


def _route(
    store: IntakeStore, source: _Source, inbound: InboundAlert, rules: Sequence[Rule],
    *, make_up_keys: bool = True,
) -> _Routed:  # fmt: skip
    service_id = source.service_id
    if inbound.dedup_key:
        # Routed once per transaction: the writer's look-ahead (prepare_ingest) and the
        # call itself see the same alert under the same rules.
        routed: _Routed | None = store.routed.get((id(inbound), service_id))
        if routed is not None and routed.inbound is inbound:
            return routed
    made_up = not inbound.dedup_key
    dedup_key = inbound.dedup_key or (new_id() if make_up_keys else "")
    labels = inbound.labels
    severity: str = inbound.severity
    suppressed: str | None = None
    rule = (
        first_match(_rule_view(inbound, dedup_key, service_id, source.type), rules)
        if rules
        else None
    )
    if rule is not None:
        if rule.actions.drop:
            return _Routed(inbound, (service_id, dedup_key), severity, dict(labels), None, True,
                           made_up)  # fmt: skip
        target = rule.actions.route_to_service_id
        settings = store.service(target) if target else None
        # Never from a real service to an exercise one or back (muster.domain.exercises).
        if settings and not settings.archived and _same_world(store, source.service_id, settings):
            service_id = settings.id
        severity = rule.actions.set_severity or severity
        labels = {**labels, **rule.actions.add_labels}
        if rule.actions.suppress:
            suppressed = f"rule: {rule.name}"
    routed = _Routed(inbound, (service_id, dedup_key), severity, dict(labels), suppressed, False,
                     made_up)  # fmt: skip
    if not made_up:
        store.routed[(id(inbound), source.service_id)] = routed
    return routed


def _apply(
    uow: UnitOfWork, store: IntakeStore, source: _Source, routed: _Routed, log: _Log
) -> Outcome:
    service_id, dedup_key = routed.key
    if routed.dropped:
        return Outcome("dropped", dedup_key)
    existing = store.open_alert(routed.key)
    action = routed.inbound.action
    if action in ("acknowledge", "resolve"):
        if existing is None or (action == "acknowledge" and existing.status != "triggered"):
            return _outcome("ignored", dedup_key, existing)
        log.write()  # what happened before the change is logged before it
        changed = _change_status(uow, store, source.actor, existing, action)
        if not changed:
            return _outcome("ignored", dedup_key, existing)
        return _outcome(
            "acknowledged" if action == "acknowledge" else "resolved", dedup_key, existing
        )
    if existing is not None:
        store.count_occurrence(existing)
        log.repeat(service_id, existing)
        return _outcome("deduplicated", dedup_key, existing)
    suppressed = routed.suppressed or store.maintenance_reason(service_id)
    settings = store.service(service_id)
    assert settings is not None, "an integration's service and a rule's target exist"
    return _open_new_alert(uow, store, source, routed, settings, suppressed, log)


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
    uow: UnitOfWork, store: IntakeStore, source: _Source, routed: _Routed,
    settings: ServiceSettings, suppressed: str | None, log: _Log,
) -> Outcome:  # fmt: skip
    inbound, now, (service_id, dedup_key) = routed.inbound, uow.now, routed.key
    # A key that re-triggers ``flap_threshold`` times within the window is flapping; it
    # pages once when it becomes so, and not again while it stays so.
    history = store.history(routed.key)
    flapping, already_flapping = len(history) >= settings.flap_threshold, any(history)
    alert_id = new_id()
    pages = suppressed is None and not already_flapping
    grouping = settings.grouping
    group = None
    if grouping.get("mode", "none") == "none":
        key = "alert:" + alert_id
    else:
        key = group_key(grouping, alert_id=alert_id, dedup_key=dedup_key, labels=routed.labels)
        group = store.open_group(service_id, key, group_window(grouping))
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
        "id": alert_id, "service_id": service_id, "integration_id": source.id,
        "group_id": group.id, "dedup_key": dedup_key, "status": "triggered", "severity": routed.severity,
        "summary": inbound.summary, "details": inbound.details, "source": inbound.source,
        "component": inbound.component, "group_name": inbound.group, "class_name": inbound.class_,
        "labels": routed.labels, "custom_details": custom,
        "links": [{"href": link.href, "text": link.text} for link in inbound.links] if inbound.links else [],
        "images": [{"src": i.src, "href": i.href, "alt": i.alt} for i in inbound.images] if inbound.images else [],
        "occurrences": 1, "first_seen": now, "last_seen": now, "occurred_at": inbound.occurred_at,
        "acknowledged_at": None, "acknowledged_by": None, "resolved_at": None, "resolved_by": None,
        "suppressed_reason": suppressed, "flapping": flapping, "raw": _bounded_raw(inbound.raw),
        "site_id": settings.site_id,  # placed at its service's site (sites.placement)
        "exercise_run_id": settings.exercise_run_id,  # muster.domain.exercises.tagging
    })  # fmt: skip
    if new_group:
        # Opening a group is what pages: one event says both, on the service's alert stream.
        log.add(service_id, ("alert_group.opened", "alert_group", group.id, {
            "service_id": service_id, "group_id": group.id, "dedup_key": dedup_key,
            "severity": routed.severity, "summary": inbound.summary, "suppressed": suppressed,
            "flapping": flapping, "alert_id": alert_id, "pages": pages,
            **({"site_id": settings.site_id} if settings.site_id else {}),
        }))  # fmt: skip
    else:
        reopened = store.join(group, routed.severity, SEVERITY_RANK)
        log.add(service_id, ("alert.triggered", "alert", alert_id, {
            "service_id": service_id, "group_id": group.id, "dedup_key": dedup_key,
            "severity": routed.severity, "summary": inbound.summary, "suppressed": suppressed,
            "flapping": flapping, "alert_count": group.alert_count, "reopened_group": reopened,
            **({"site_id": settings.site_id} if settings.site_id else {}),
        }))  # fmt: skip
    return Outcome("suppressed" if suppressed else "created", dedup_key, alert_id, group.id,
                   pages=new_group and pages)  # fmt: skip


def _same_world(store: IntakeStore, from_service: str, to: ServiceSettings) -> bool:
    here = store.service(from_service)
    return (here.exercise_run_id if here else None) == to.exercise_run_id


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
