"""Telling people about incidents through the outbox (run by the notification reaction).

Pages — through the person's high-urgency rules, each step after its delay:

* ``incident.participant_added`` with ``page``: the person added;
* ``incident.commander_needed``: each person the engine named.

Notices — one message at once, through the person's low-urgency rules' methods:

* ``incident.role_assigned`` / ``incident.role_handed_off`` to someone else than the one
  acting (with the role's instructions);
* ``incident.task_reminded``: the owner of the overdue task (if it is still theirs and open);
* ``incident.update_due``: the people named (Communications Lead, else Commander).

Nobody hears of a restricted incident they may not see: each recipient is checked when
the event is read, and queued messages are cancelled when someone leaves, when the
incident becomes restricted to people who then cannot see it, and when it is no longer
open. A page's later steps are cancelled once its person acts on the incident, and the
pages for a Commander once one is assigned.

Rows have purpose ``incident`` and name the event that asked for them
(``request_event_id``); the idempotency key is made of that event, the person, the method
and the step, so reading an event twice queues nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.compliance.clock_notices import CLOCK_NOTICES, CLOCK_PAGES, clock_messages
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.domain.incidents.lifecycle import OPEN_STATUSES, STATUS_LABELS
from muster.domain.incidents.models import Incident, IncidentRoleType, SeverityLevel, Task
from muster.domain.incidents.record import stream_of
from muster.domain.incidents.roles import COMMANDER, holder
from muster.domain.incidents.service import reference
from muster.domain.incidents.views import incident_url
from muster.domain.incidents.visibility import person_may_see
from muster.domain.notify.models import ContactMethod, OutboxMessage
from muster.domain.notify.outbox import ENGINE, idempotency_key, insert_rows, row_values
from muster.domain.notify.plan import Step, steps_for
from muster.domain.notify.service import ensure_account_email, views
from muster.domain.reviews.action_notices import ACTION_NOTICES, action_messages
from muster.domain.reviews.review_notices import REVIEW_NOTICES, review_messages

PURPOSE = "incident"
PAGES = frozenset({"incident.participant_added", "incident.commander_needed"})
NOTICES = frozenset({
    "incident.role_assigned", "incident.role_handed_off", "incident.task_reminded",
    "incident.update_due",
})  # fmt: skip
# Playbooks: pages from a page step, to the approver of an approval step, and to the
# Commander (else the declarer) when a run fails (muster.domain.playbooks).
PLAYBOOK_PAGES = frozenset({
    "incident.playbook_paged", "incident.playbook_step", "incident.playbook_finished",
})  # fmt: skip
PAGES = PAGES | PLAYBOOK_PAGES
# Regulatory clocks: to the Legal/Compliance role and the Commander (muster.domain.compliance).
PAGES = PAGES | CLOCK_PAGES
NOTICES = NOTICES | CLOCK_NOTICES
# Overdue action items: to the owner, else the team's managers (muster.domain.reviews).
NOTICES = NOTICES | ACTION_NOTICES
# Reviews: feedback asked of participants, reminders to the owner (muster.domain.reviews).
NOTICES = NOTICES | REVIEW_NOTICES
ASKING = sorted(PAGES | NOTICES)  # the events whose messages a later event may cancel
ROLE_EVENTS = ("incident.role_assigned", "incident.role_handed_off")


@dataclass(frozen=True)
class Message:
    user_id: str
    urgency: str  # high: a page; low: a notice
    subject: str
    text: str
    path: str | None = None  # the page the message links to (default: the incident's)


def react_to_incident(uow: UnitOfWork, event: Event) -> int:
    """Queue the messages ``event`` calls for and cancel those it makes moot; returns
    how many outbox rows were queued or cancelled."""
    if not event.type.startswith("incident."):
        return 0
    data = event.data or {}
    incident = uow.session.get(Incident, str(data.get("incident_id") or event.subject_id))
    if incident is None:
        return 0
    count = cancel_moot(uow, incident, event)
    if event.type in PAGES or event.type in NOTICES:
        for message in messages_for(uow, incident, event):
            count += queue_message(uow, incident, event, message)
    return count


# ---------------------------------------------------------------- what to say to whom


def _about(uow: UnitOfWork, incident: Incident) -> tuple[str, str]:
    """``[SEV1] INC-12`` and ``INC-12 “Checkout is down” (SEV1, Investigating)``."""
    level = uow.session.get(SeverityLevel, incident.severity)
    sev = level.name if level else f"SEV{incident.severity}"
    status = STATUS_LABELS.get(incident.status, incident.status)
    ref = reference(incident)
    return f"[{sev}] {ref}", f"{ref} “{incident.title}” ({sev}, {status})"


def messages_for(uow: UnitOfWork, incident: Incident, event: Event) -> Iterator[Message]:
    data = event.data or {}
    tag, about = _about(uow, incident)
    user_id = str(data.get("user_id") or "")
    by = event.actor_label
    if event.type == "incident.participant_added":
        if data.get("page") and user_id and user_id != event.actor_id:
            yield Message(
                user_id, "high", f"{tag} you are needed: {incident.title}",
                f"{by} added you to the response to {about}. Open the incident and join in.",
            )  # fmt: skip
    elif event.type == "incident.commander_needed":
        why = "You manage an affected service" if data.get("fallback") else "You are on call"
        for uid in data.get("user_ids") or []:
            yield Message(
                str(uid), "high", f"{tag} needs an Incident Commander: {incident.title}",
                f"{about} has no Incident Commander. {why}: take the role, or find someone"
                " who will.",
            )  # fmt: skip
    elif event.type in ROLE_EVENTS:
        if user_id and user_id != event.actor_id:
            yield _role_notice(uow, event, tag, about)
    elif event.type == "incident.task_reminded":
        task = uow.session.get(Task, str(data.get("task_id") or ""))
        if task is not None and task.status == "open" and task.owner_id == user_id:
            due = f" was due at {task.due_at:%Y-%m-%d %H:%M} UTC" if task.due_at else " is due"
            yield Message(
                user_id, "low", f"{tag} overdue task: {task.title}",
                f"Your task “{task.title}” in {about}{due}. Mark it done, or hand it on.",
            )  # fmt: skip
    elif event.type in PLAYBOOK_PAGES:
        yield from _playbook_messages(uow, incident, event, tag, about)
    elif event.type in CLOCK_PAGES or event.type in CLOCK_NOTICES:
        for m in clock_messages(event.type, data, incident.id, tag, about):
            yield Message(m.user_id, m.urgency, m.subject, m.text, m.path)
    elif event.type in ACTION_NOTICES:
        for a in action_messages(event.type, data, incident.id, tag, about):
            yield Message(a.user_id, a.urgency, a.subject, a.text, a.path)
    elif event.type in REVIEW_NOTICES:
        for r in review_messages(event.type, data, incident.id, tag, about):
            yield Message(r.user_id, r.urgency, r.subject, r.text, r.path)
    elif event.type == "incident.update_due":
        for uid in data.get("user_ids") or []:
            yield Message(
                str(uid), "low", f"{tag} a status update is due",
                f"A status update on {about} is due. Post one for the stakeholders.",
            )  # fmt: skip


def _playbook_messages(
    uow: UnitOfWork, incident: Incident, event: Event, tag: str, about: str
) -> Iterator[Message]:
    data = event.data or {}
    name = str(data.get("name") or "a playbook")
    path = f"/playbook-runs/{data.get('run_id')}"
    if event.type == "incident.playbook_paged":
        said = str(data.get("message") or "") or f"Playbook “{name}” pages you for {about}."
        for uid in data.get("user_ids") or []:
            yield Message(str(uid), "high", f"{tag} {incident.title}", said)
    elif event.type == "incident.playbook_step" and data.get("status") == "awaiting_approval":
        for uid in data.get("notify_user_ids") or []:
            yield Message(
                str(uid), "high", f"{tag} approval needed: {name}",
                f"Playbook “{name}” on {about} waits for your approval of step "
                f"{data.get('step')}: {data.get('prompt') or ''}\nApprove or reject it on the run's page:",
                path,
            )  # fmt: skip
    elif event.type == "incident.playbook_finished" and data.get("status") == "failed":
        commander = holder(uow, incident.id, COMMANDER)
        held = (
            commander.user_id
            if commander
            else uow.session.scalar(
                select(User.id).where(func.lower(User.email) == incident.declared_by.lower())
            )
        )  # the declarer, when nobody is Commander
        if held is not None:
            yield Message(
                held, "high", f"{tag} playbook failed: {name}",
                f"Playbook “{name}” failed on {about}: {data.get('error') or 'no detail'}\n"
                "See the run:",
                path,
            )  # fmt: skip


def _role_notice(uow: UnitOfWork, event: Event, tag: str, about: str) -> Message:
    data = event.data or {}
    role = uow.session.scalar(
        select(IncidentRoleType).where(IncidentRoleType.key == str(data.get("role") or ""))
    )
    name = str(data.get("role_name") or (role.name if role else data.get("role")))
    text = f"{event.actor_label} made you {name} of {about}."
    if role is not None and role.instructions:
        text += f"\n\n{role.instructions}"
    return Message(str(data["user_id"]), "low", f"{tag} you are now {name}", text)


# ---------------------------------------------------------------- queueing


def _methods(uow: UnitOfWork, user: User, urgency: str) -> tuple[list[Step], dict[str, ContactMethod]]:  # fmt: skip
    """The person's steps at ``urgency`` and their methods (once per transaction)."""
    key = ("notify.incident_plan", user.id, urgency)
    if key not in uow.memo:
        ensure_account_email(uow, user)
        methods, rules = views(uow, user.id)
        steps = steps_for(methods, rules, urgency)
        if urgency == "low":  # a notice goes once, at once: the immediate steps, or the first
            steps = [s for s in steps if s.delay_minutes == 0] or steps[:1]
            steps = [Step(s.method_id, s.method_type, 0, s.rule_id) for s in steps]
        wanted = {s.method_id for s in steps}
        by_id = {
            m.id: m
            for m in uow.session.scalars(select(ContactMethod).where(ContactMethod.id.in_(wanted)))
        }
        uow.memo[key] = (steps, by_id)
    plan: tuple[list[Step], dict[str, ContactMethod]] = uow.memo[key]
    return plan


def queue_message(uow: UnitOfWork, incident: Incident, event: Event, message: Message) -> int:
    """Queue ``message`` for its person, if they may hear of the incident; returns how
    many rows were queued."""
    user = uow.session.get(User, message.user_id)
    if not person_may_see(uow, incident, user):
        return 0
    assert user is not None
    steps, methods = _methods(uow, user, message.urgency)
    if not steps:
        _unreachable(uow, incident, user.id, "this person has no verified contact method")
        return 0
    payload = {
        "subject": message.subject[:300], "text": message.text, "incident_id": incident.id,
        "path": message.path or incident_url(incident),
        "kind": event.type.removeprefix("incident."),
    }  # fmt: skip
    rows = []
    for step in steps:
        method = methods[step.method_id]
        key = idempotency_key(PURPOSE, event.id, user.id, method.id, step.delay_minutes)
        rows.append(row_values(
            uow, purpose=PURPOSE, key=key, method_type=method.type, address=method.address,
            due=uow.now + timedelta(minutes=step.delay_minutes), step=step.name,
            payload=payload, user_id=user.id, contact_method_id=method.id,
            request_event_id=event.id, urgency=message.urgency,
        ))  # fmt: skip
    insert_rows(uow, rows)
    return len(rows)


def _unreachable(uow: UnitOfWork, incident: Incident, user_id: str, why: str) -> None:
    append_event(
        uow, ENGINE, "notification.failed", subject_type="incident", subject_id=incident.id,
        data={"user_id": user_id, "incident_id": incident.id, "restricted": incident.restricted,
              "error": f"nobody could be notified: {why}", "permanent": True, "warning": why},
        stream=f"notifications:{user_id}",
    )  # fmt: skip


# ---------------------------------------------------------------- cancelling


def cancel_moot(uow: UnitOfWork, incident: Incident, event: Event) -> int:
    """Cancel the incident's queued messages that ``event`` makes moot."""
    data = event.data or {}
    if (event.type == "incident.status_changed" and data.get("to") not in OPEN_STATUSES) or (
        event.type == "incident.merged"
    ):
        return cancel_incident_messages(uow, incident, f"not sent: the incident is {incident.status}")  # fmt: skip
    count = 0
    if event.type in ROLE_EVENTS and data.get("role") == COMMANDER:
        count += cancel_incident_messages(
            uow, incident, "not sent: a Commander was assigned",
            kinds=["incident.commander_needed"],
        )  # fmt: skip
    if event.type == "incident.participant_left" and data.get("user_id"):
        count += cancel_incident_messages(
            uow, incident, "not sent: they left the incident", user_id=str(data["user_id"])
        )
    if event.type == "incident.updated" and (data.get("changes") or {}).get("restricted"):
        count += _cancel_for_those_who_cannot_see(uow, incident)
    if event.actor_id is not None and event.type != "incident.participant_left":
        count += cancel_incident_messages(
            uow, incident, "not sent: they are responding", user_id=event.actor_id,
            kinds=sorted(PAGES),
        )  # fmt: skip
    return count


def cancel_incident_messages(
    uow: UnitOfWork, incident: Incident, why: str, *, user_id: str | None = None,
    kinds: list[str] | None = None,
) -> int:  # fmt: skip
    """Cancel the queued messages asked for by the incident's events (of ``kinds``; to
    ``user_id`` only, when given)."""
    asking = select(Event.id).where(
        Event.stream == stream_of(incident.id), Event.type.in_(kinds or ASKING)
    )
    query = update(OutboxMessage).where(
        OutboxMessage.purpose == PURPOSE,
        OutboxMessage.status == "queued",
        OutboxMessage.request_event_id.in_(asking),
    )
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    values: dict[str, Any] = {"status": "cancelled", "last_error": why, "updated_at": uow.now,
                              "payload": {}}  # fmt: skip
    result = uow.session.execute(
        query.values(**values).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _cancel_for_those_who_cannot_see(uow: UnitOfWork, incident: Incident) -> int:
    if not incident.restricted:
        return 0
    asking = select(Event.id).where(Event.stream == stream_of(incident.id), Event.type.in_(ASKING))
    waiting = uow.session.scalars(
        select(OutboxMessage.user_id)
        .where(
            OutboxMessage.purpose == PURPOSE,
            OutboxMessage.status == "queued",
            OutboxMessage.request_event_id.in_(asking),
        )
        .distinct()
    ).all()
    count = 0
    for user_id in waiting:
        if user_id and not person_may_see(uow, incident, uow.session.get(User, user_id)):
            count += cancel_incident_messages(
                uow, incident, "not sent: the incident is restricted", user_id=user_id
            )
    return count
