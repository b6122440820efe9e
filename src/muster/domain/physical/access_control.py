"""Access-control events (parsed by :mod:`muster.integrations.access_control`) become
site events, alerts and controller health.

Every event is a :class:`SiteEvent` at its door's site and zone (``identity`` the badge
holder, ``identity_kind`` ``badge``). Kinds that alert (per the integration's
``alert_kinds``, :data:`muster.domain.physical.config.ALERT_KINDS` by default) also go
through intake as an alert keyed by kind and door, so a door forced open twice while
the first alert is open counts a repeat instead of paging again; the alert is placed
at the door. ``controller_offline`` / ``controller_online`` set the door device's health,
and ``controller_online`` resolves the open ``controller_offline`` alert of that door.

A redelivered event (the same ``event_id`` of the same kind at the same door and time)
is recognised and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.ingest import Outcome, do_ingest
from muster.domain.alerts.models import Alert, Integration
from muster.domain.physical.config import alert_severity
from muster.domain.physical.devices import INTAKE, device_for, short
from muster.domain.sites.activity import do_record_site_event, do_set_device_health
from muster.domain.sites.models import Device, SiteEvent
from muster.domain.sites.placement import place_alert
from muster.integrations.access_control import AccessBatch, AccessEvent
from muster.integrations.normalized import InboundAlert, Severity

TITLES = {
    "access_granted": "Access granted", "access_denied": "Access denied",
    "door_forced_open": "Door forced open", "door_held_open": "Door held open",
    "tailgating_detected": "Tailgating detected", "tamper": "Tamper detected",
    "controller_offline": "Controller offline", "controller_online": "Controller back online",
    "lockdown": "Lockdown",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Pending:
    event: AccessEvent
    device: Device
    alert_index: int | None  # index into the inbound alerts of this call


def do_access_events(
    uow: UnitOfWork, integration: Integration, batch: AccessBatch
) -> dict[str, int]:
    """Apply every event of ``batch``; returns counts (``recorded``, ``duplicate``,
    ``skipped``, ``alerts``). Preconditions: a live ``access_control*`` integration;
    ``batch`` parsed with its mapping."""
    counts: Counter[str] = Counter(recorded=0, duplicate=0, skipped=len(batch.skipped), alerts=0)
    pending: list[_Pending] = []
    inbound: list[InboundAlert] = []
    seen: set[tuple[str, str, str]] = set()
    for event in batch.events:
        device = device_for(uow, integration, "door", event.door, event.door_name)
        key = (device.id, event.kind, event.event_id or "")
        if event.event_id and (key in seen or _already_recorded(uow, integration, device, event)):
            counts["duplicate"] += 1
            continue
        seen.add(key)
        alert = _inbound_alert(integration, device, event)
        pending.append(_Pending(event, device, len(inbound) if alert is not None else None))
        if alert is not None:
            inbound.append(alert)
    outcomes = do_ingest(uow, integration, inbound) if inbound else []
    if inbound:
        uow.flush()
    for item in pending:
        outcome = outcomes[item.alert_index] if item.alert_index is not None else None
        alert_id = _placed(uow, outcome, item.device)
        _record(uow, integration, item.device, item.event, alert_id)
        counts["recorded"] += 1
        if outcome is not None and outcome.result in ("created", "suppressed"):
            counts["alerts"] += 1
    return dict(counts)


def _already_recorded(
    uow: UnitOfWork, integration: Integration, device: Device, event: AccessEvent
) -> bool:
    occurred = event.occurred_at
    query = select(SiteEvent.data).where(
        SiteEvent.site_id == device.site_id, SiteEvent.device_id == device.id,
        SiteEvent.kind == event.kind, SiteEvent.integration_id == integration.id,
    )  # fmt: skip
    if occurred is not None:
        query = query.where(SiteEvent.occurred_at == occurred)
    else:
        query = query.order_by(SiteEvent.received_at.desc()).limit(200)
    return any(data.get("event_id") == event.event_id for data in uow.session.scalars(query))


def _inbound_alert(
    integration: Integration, device: Device, event: AccessEvent
) -> InboundAlert | None:
    door = device.name
    if event.kind == "controller_online":
        return InboundAlert(action="resolve", dedup_key=f"controller_offline:{event.door}",
                            summary=f"Controller back online: {door}", severity="info",
                            source=integration.name)  # fmt: skip
    severity = alert_severity(integration.config, event.kind)
    if severity is None:
        return None
    who = f" ({event.identity})" if event.identity else ""
    labels = short({"kind": event.kind, "door": event.door, "door_name": event.door_name,
                    "identity": event.identity, "vendor_kind": event.vendor_kind})  # fmt: skip
    return InboundAlert(
        action="trigger", dedup_key=f"{event.kind}:{event.door}",
        summary=f"{TITLES[event.kind]}: {door}{who}", severity=_severity(severity),
        source=integration.name, component=door, class_="access_control", labels=labels,
        custom_details=short({"event_id": event.event_id, "credential": event.credential}),
        occurred_at=event.occurred_at, raw=event.raw,
    )  # fmt: skip


def _severity(word: str) -> Severity:
    return {"critical": "critical", "error": "error", "warning": "warning"}.get(word, "info")  # type: ignore[return-value]


def _placed(uow: UnitOfWork, outcome: Outcome | None, device: Device) -> str | None:
    if outcome is None or outcome.alert_id is None:
        return None
    if outcome.result in ("created", "suppressed"):
        alert = uow.session.get(Alert, outcome.alert_id)
        if alert is not None:
            place_alert(uow, alert, device, actor=INTAKE)
    return outcome.alert_id


def _record(
    uow: UnitOfWork,
    integration: Integration,
    device: Device,
    event: AccessEvent,
    alert_id: str | None,
) -> None:
    now = uow.now
    occurred = event.occurred_at or now
    if event.kind in ("controller_offline", "controller_online"):
        do_set_device_health(uow, device, event.kind == "controller_online", occurred, actor=INTAKE)
    data = short({"event_id": event.event_id, "door": event.door, "door_name": event.door_name,
                  "credential": event.credential, "vendor_kind": event.vendor_kind})  # fmt: skip
    site_event = SiteEvent(
        site_id=device.site_id, zone_id=device.zone_id, device_id=device.id,
        integration_id=integration.id, kind=event.kind, identity=event.identity,
        identity_kind="badge" if event.identity else None, occurred_at=occurred,
        received_at=now, alert_id=alert_id, data=data,
    )  # fmt: skip
    do_record_site_event(uow, site_event, device=device, actor=INTAKE)
