"""Delivering a posted incident status update (``incident.update_posted``) to the
incident's subscribers, through the outbox — as a notice, never a page:

* people through one verified contact method (email first, else their first usable
  one), only if they may see the incident (a restricted incident: participants, the
  security team, admins) — for internal and public updates alike;
* announcement channels through their address, public updates of unrestricted
  incidents only (a channel is outside: it never hears of internal updates or of
  restricted incidents).

Each row's idempotency key names the update and the recipient, so reading the event
twice queues nothing more. The author of the update is not sent their own words.
"""

from __future__ import annotations

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.events.models import Event
from muster.domain.incidents.lifecycle import STATUS_LABELS
from muster.domain.incidents.models import Incident, SeverityLevel, StatusUpdate, Subscription
from muster.domain.incidents.service import reference
from muster.domain.incidents.subscriptions import subscribers_of
from muster.domain.incidents.visibility import person_may_see
from muster.domain.notify.models import AnnouncementChannel, ContactMethod
from muster.domain.notify.outbox import queue_announcement, queue_notice
from muster.domain.notify.plan import MethodView, default_steps
from muster.domain.notify.service import active_methods, ensure_account_email

UPDATE_POSTED = "incident.update_posted"
PUBLIC_LABELS = {"investigating": "Investigating", "identified": "Identified",
                 "monitoring": "Monitoring", "resolved": "Resolved"}  # fmt: skip


def deliver_update(uow: UnitOfWork, event: Event) -> int:
    """Queue the update named by ``event`` for each subscriber who may have it; returns
    how many rows were queued."""
    data = event.data or {}
    incident = uow.session.get(Incident, str(data.get("incident_id") or event.subject_id))
    update = uow.session.get(StatusUpdate, str(data.get("update_id") or ""))
    if incident is None or update is None:
        return 0
    subject, text = words(uow, incident, update)
    queued = 0
    for sub in subscribers_of(uow, incident):
        if sub.subscriber_type == "channel":
            queued += _to_channel(uow, sub, incident, update, subject, text)
        elif sub.subscriber_id != update.author_id:
            queued += _to_person(uow, sub, incident, update, subject, text)
    return queued


def _to_channel(
    uow: UnitOfWork, sub: Subscription, incident: Incident, update: StatusUpdate,
    subject: str, text: str,
) -> int:  # fmt: skip
    if update.kind != "public" or incident.restricted:
        return 0
    channel = uow.session.get(AnnouncementChannel, sub.subscriber_id)
    if channel is None or channel.removed_at is not None:
        return 0
    queue_announcement(uow, channel, f"incident-update:{update.id}", subject, text, None,
                       incident_id=incident.id)  # fmt: skip
    return 1


def _to_person(
    uow: UnitOfWork, sub: Subscription, incident: Incident, update: StatusUpdate,
    subject: str, text: str,
) -> int:  # fmt: skip
    user = uow.session.get(User, sub.subscriber_id)
    if user is None or not person_may_see(uow, incident, user):
        return 0
    method = update_method(uow, user)
    if method is None:
        return 0
    extra = {
        "incident_id": incident.id, "update_id": update.id, "update_kind": update.kind,
        "path": f"/incidents/{incident.id}",
    }  # fmt: skip
    queue_notice(
        uow, method, "announce", f"incident-update|{update.id}|{user.id}",
        subject=subject, text=text, extra=extra,
    )  # fmt: skip
    return 1


def update_method(uow: UnitOfWork, user: User) -> ContactMethod | None:
    """The one method a stakeholder update goes to: a verified email first, else the
    first usable method (in the order pages fall through)."""
    ensure_account_email(uow, user)
    methods = {m.id: m for m in active_methods(uow, user.id)}
    views = [MethodView(m.id, m.type, m.label, m.usable) for m in methods.values()]
    steps = default_steps(views, "low")
    return methods[steps[0].method_id] if steps else None


def words(uow: UnitOfWork, incident: Incident, update: StatusUpdate) -> tuple[str, str]:
    """The subject and text of an update's message."""
    level = uow.session.get(SeverityLevel, incident.severity)
    sev = level.name if level else f"SEV{incident.severity}"
    ref = f"{reference(incident)} {incident.title}"
    if update.kind == "public":
        status = PUBLIC_LABELS.get(update.public_status or "", update.public_status or "")
        subject = f"[{sev}] {ref} — {status}"
        text = f"Update on {ref} ({sev}): {status}.\n\n{update.body}"
    else:
        subject = f"Internal update: [{sev}] {ref}"
        parts = [
            f"{name}: {value}"
            for name, value in (
                ("Conditions", update.conditions),
                ("Actions", update.actions),
                ("Needs", update.needs),
            )
            if value
        ]
        phase = STATUS_LABELS.get(incident.status, incident.status)
        text = f"Internal update on {ref} ({sev}, {phase}).\n\n" + "\n\n".join(parts)
    return subject[:300], f"{text}\n\nPosted by {update.author_label}."
