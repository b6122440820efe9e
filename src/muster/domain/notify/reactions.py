"""Reacting to events read from the log (run by the engine, after commit, cursor
"notifications"):

* ``notification.requested`` (from escalation): queue the person's steps for that urgency
  — immediate ones due now, delayed ones due later;
* ``alert_group.acknowledged`` / ``alert_group.resolved``: cancel the group's pages not yet
  sent (the delivery also checks the group's status before each send);
* ``alert_group.opened`` (paging), acknowledged, resolved: tell the service's and its
  team's announcement channels.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.alerts.models import AlertGroup
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.domain.notify.announce import announce_group
from muster.domain.notify.incident_notices import react_to_incident
from muster.domain.notify.incident_updates import UPDATE_POSTED, deliver_update
from muster.domain.notify.models import ContactMethod
from muster.domain.notify.outbox import ENGINE, cancel_group_pages, insert_rows, page_rows
from muster.domain.notify.plan import Step, steps_for
from muster.domain.notify.service import ensure_account_email, views

REQUESTED = "notification.requested"
STOPPED = {"alert_group.acknowledged": "acknowledged", "alert_group.resolved": "resolved"}
ANNOUNCED = frozenset({"alert_group.opened", *STOPPED})


def prefetch(uow: UnitOfWork, events: Sequence[Event]) -> None:
    """Load the groups and people a batch of requests names, in two queries (held until
    commit, so each request's lookups find them in the session)."""
    asked = [e.data for e in events if e.type == REQUESTED]
    groups = {str(d.get("group_id")) for d in asked}
    users = {str(d.get("user_id")) for d in asked}
    held = uow.memo.setdefault("notify.prefetched", [])
    if groups:
        held += uow.session.scalars(select(AlertGroup).where(AlertGroup.id.in_(groups))).all()
    if users:
        held += uow.session.scalars(select(User).where(User.id.in_(users))).all()


def react(uow: UnitOfWork, event: Event) -> int:
    """Apply one event; returns how many outbox rows it queued or cancelled."""
    count = 0
    if event.type == REQUESTED:
        count += queue_page(uow, event)
    if event.type in STOPPED:
        count += cancel_group_pages(
            uow, event.subject_id, f"not sent: the alert group was {STOPPED[event.type]}"
        )
    if event.type in ANNOUNCED:
        count += announce_group(uow, event)
    if event.type == UPDATE_POSTED:
        count += deliver_update(uow, event)
    count += react_to_incident(uow, event)
    return count


def queue_page(uow: UnitOfWork, event: Event) -> int:
    data = event.data
    group_id = str(data.get("group_id") or event.subject_id)
    user_id = str(data.get("user_id") or "")
    group = uow.session.get(AlertGroup, group_id)
    if group is None or group.status != "triggered":
        return 0  # acknowledged or resolved before the request was read: nothing to send
    user = uow.session.get(User, user_id)
    if user is None or user.archived_at is not None:
        _unreachable(uow, group_id, user_id, "this person is archived or unknown")
        return 0
    urgency = "low" if data.get("urgency") == "low" else "high"
    steps, by_id = _plan(uow, user, urgency)
    if not steps:
        _unreachable(uow, group_id, user.id, "this person has no verified contact method")
        return 0
    request = {
        "group_id": group_id, "user_id": user.id, "urgency": urgency, "event_id": event.id,
        "escalation_id": data.get("escalation_id"), "level": data.get("level"),
        "loop": data.get("loop"),
    }  # fmt: skip
    rows = page_rows(uow, request, by_id, steps)
    insert_rows(uow, rows)
    return len(rows)


def _plan(uow: UnitOfWork, user: User, urgency: str) -> tuple[list[Step], dict[str, ContactMethod]]:
    """A person's steps at ``urgency`` and their methods (worked out once per transaction:
    a storm pages the same people many times over)."""
    key = ("notify.plan", user.id, urgency)
    if key not in uow.memo:
        ensure_account_email(uow, user)
        methods, rules = views(uow, user.id)
        steps = steps_for(methods, rules, urgency)
        wanted = {s.method_id for s in steps}
        by_id = {
            m.id: m
            for m in uow.session.scalars(select(ContactMethod).where(ContactMethod.id.in_(wanted)))
        }
        uow.memo[key] = (steps, by_id)
    plan: tuple[list[Step], dict[str, ContactMethod]] = uow.memo[key]
    return plan


def _unreachable(uow: UnitOfWork, group_id: str, user_id: str, why: str) -> None:
    # On the person's chain, as delivery's events are: a storm locks one head, not one a group.
    append_event(uow, ENGINE, "notification.failed", subject_type="alert_group",
                 subject_id=group_id, stream=f"notifications:{user_id}",
                 data={"user_id": user_id, "error": f"nobody could be notified: {why}",
                       "permanent": True, "warning": why})  # fmt: skip
