"""Reacting to alert events read from the log (run by the engine, after commit).

``alert_group.opened`` with ``pages`` starts an escalation for a service with a policy;
acknowledging, resolving or triggering a group again moves its escalation along.
"""

from __future__ import annotations

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.escalation.actions import lock_escalation
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.steps import ENGINE, follow_group, start_escalation
from muster.domain.events.models import Event
from muster.domain.events.service import append_event

FOLLOWED = frozenset({"alert_group.acknowledged", "alert_group.resolved", "alert_group.triggered"})


def react(uow: UnitOfWork, event: Event) -> bool:
    """Apply one event; True when an escalation was started or changed."""
    if event.type == "alert_group.opened":
        return _opened(uow, event)
    if event.type in FOLLOWED:
        group_id = event.subject_id
    elif event.type == "alert.triggered" and event.data.get("reopened_group"):
        group_id = str(event.data.get("group_id"))
    else:
        return False
    esc = lock_escalation(uow, group_id)
    group = uow.session.get(AlertGroup, group_id)
    if esc is None or group is None:
        return False
    return follow_group(uow, ENGINE, esc, group)


def _opened(uow: UnitOfWork, event: Event) -> bool:
    group = uow.session.get(AlertGroup, event.subject_id)
    if group is None or not event.data.get("pages") or group.status == "resolved":
        return False
    if lock_escalation(uow, group.id) is not None:
        return False
    service = uow.session.get_one(Service, group.service_id)
    policy = (
        uow.session.get(EscalationPolicy, service.escalation_policy_id)
        if service.escalation_policy_id
        else None
    )
    if policy is None or policy.archived_at is not None or not policy.levels:
        why = "the service has no escalation policy" if policy is None else "its policy is unusable"
        append_event(uow, ENGINE, "escalation.not_started", subject_type="alert_group",
                     subject_id=group.id, data={"why": f"nobody was paged: {why}"})  # fmt: skip
        return True
    esc = start_escalation(uow, ENGINE, group, service, policy)
    follow_group(uow, ENGINE, esc, group)  # acknowledged before the engine got to it
    return True
