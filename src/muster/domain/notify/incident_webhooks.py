"""Incident webhook deliveries through the outbox (purpose ``webhook``).

:func:`queue_deliveries` (run by the engine over the event log) adds one row per
incident event and webhook that wants it; the delivery sends it like any notification
webhook — a JSON POST signed with the webhook's own secret, retried with backoff,
carrying the row's idempotency key. Before each send the row is checked again
(:func:`unsendable`): a webhook deleted or paused, or an incident restricted meanwhile
for a webhook without ``include_restricted``, cancels it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from muster.clock import ensure_utc, isoformat
from muster.db.uow import UnitOfWork
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident, IncidentWebhook
from muster.domain.incidents.service import reference
from muster.domain.incidents.webhooks import active_webhooks, wants
from muster.domain.notify.jobs import Options, Outgoing
from muster.domain.notify.models import OutboxMessage
from muster.domain.notify.outbox import idempotency_key, insert_rows, row_values

PURPOSE = "webhook"


def is_incident_event(event: Event) -> bool:
    return event.subject_type == "incident" and event.type.startswith("incident.")


def queue_deliveries(uow: UnitOfWork, events: Sequence[Event]) -> int:
    """Queue a delivery of each incident event in ``events`` to each webhook wanting it;
    returns how many rows were queued (a key already queued adds nothing)."""
    wanted = [e for e in events if is_incident_event(e)]
    if not wanted:
        return 0
    hooks = active_webhooks(uow)
    if not hooks:
        return 0
    ids = {str(e.data.get("incident_id") or e.subject_id) for e in wanted}
    incidents = {i.id: i for i in uow.session.scalars(select(Incident).where(Incident.id.in_(ids)))}
    rows = []
    for event in wanted:
        incident = incidents.get(str(event.data.get("incident_id") or event.subject_id))
        restricted = bool(event.data.get("restricted")) or bool(incident and incident.restricted)
        occurred = ensure_utc(event.occurred_at)
        for hook in hooks:
            if wants(hook, event.type, occurred, restricted):
                rows.append(_row(uow, hook, event, incident))
    insert_rows(uow, rows)
    return len(rows)


def _row(
    uow: UnitOfWork, hook: IncidentWebhook, event: Event, incident: Incident | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "occurred_at": isoformat(event.occurred_at),
        "sequence": event.seq,
        "actor": {"type": event.actor_type, "label": event.actor_label, "via": event.via},
        "data": event.data,
        "webhook": {"id": hook.id, "name": hook.name},
    }
    if incident is not None:
        body["incident"] = {
            "id": incident.id, "reference": reference(incident), "title": incident.title,
            "severity": incident.severity, "status": incident.status,
            "restricted": incident.restricted, "customer_facing": incident.customer_facing,
        }  # fmt: skip
    return row_values(
        uow, purpose=PURPOSE, key=idempotency_key("incident-webhook", hook.id, event.id),
        method_type="webhook", address=hook.url, due=uow.now, step=event.type,
        payload={"webhook_id": hook.id, "incident_id": incident.id if incident else None,
                 "body": body},
        request_event_id=event.id,
    )  # fmt: skip


def unsendable(uow: UnitOfWork, row: OutboxMessage) -> str | None:
    """Why ``row`` (a delivery) must not go now, or None when it may."""
    payload = row.payload or {}
    hook = uow.session.get(IncidentWebhook, str(payload.get("webhook_id")))
    if hook is None:
        return "not sent: the incident webhook was removed"
    if hook.disabled_at is not None:
        return "not sent: the incident webhook is paused"
    incident_id = payload.get("incident_id")
    incident = uow.session.get(Incident, incident_id) if isinstance(incident_id, str) else None
    if incident is not None and incident.restricted and not hook.include_restricted:
        return "not sent: the incident is restricted"
    return None


def message(uow: UnitOfWork, opts: Options, row: OutboxMessage) -> Outgoing:
    """The signed JSON POST of one delivery, to the webhook's current URL (a webhook
    removed meanwhile, which :func:`unsendable` has already cancelled, gets no address,
    so nothing unsigned can leave)."""
    payload = row.payload or {}
    hook = uow.session.get(IncidentWebhook, str(payload.get("webhook_id")))
    body: dict[str, Any] = dict(payload.get("body") or {})
    incident = body.get("incident")
    if isinstance(incident, dict):
        body["incident"] = {**incident, "url": f"{opts.base_url}/incidents/{incident['id']}"}
    body["idempotency_key"] = row.idempotency_key
    title = f"{body.get('type', 'incident event')}"
    return Outgoing(
        method_type="webhook", address=hook.url if hook else "", subject=title,
        text=title, html=None, short=title, voice=title, data=body,
        idempotency_key=row.idempotency_key, secret=hook.secret if hook else None,
    )  # fmt: skip
