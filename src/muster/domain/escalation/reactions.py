"""Reacting to alert events read from the log (run by the engine, after commit).

``alert_group.opened`` with ``pages`` starts an escalation for a service with a policy;
acknowledging, resolving or triggering a group again moves its escalation along.

:func:`prefetch` loads what a batch of events needs in a few queries (the groups, their
escalations, services and policies); :func:`react` then applies each event in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.escalation.actions import lock_escalation
from muster.domain.escalation.models import Escalation, EscalationPolicy
from muster.domain.escalation.steps import (
    ENGINE,
    escalation_stream,
    follow_group,
    start_escalation,
)
from muster.domain.events.models import Event
from muster.domain.events.service import append_event

OPENED = "alert_group.opened"
FOLLOWED = frozenset({"alert_group.acknowledged", "alert_group.resolved", "alert_group.triggered"})
# Every type _group_of may return a group for (the feed loads only these).
TYPES = frozenset({OPENED, *FOLLOWED, "alert.triggered"})
_ESCALATIONS = "escalation.by_group"  # memo: group id -> its escalation (None: has none)
_HELD = "escalation.prefetched"  # memo: rows held so the session's identity map keeps them


def _group_of(event: Event) -> str | None:
    """The alert group whose escalation ``event`` may start or move, if any."""
    if event.type == OPENED:
        return event.subject_id if event.data.get("pages") else None
    if event.type in FOLLOWED:
        return event.subject_id
    if event.type == "alert.triggered" and event.data.get("reopened_group"):
        return str(event.data.get("group_id"))
    return None


def prefetch(uow: UnitOfWork, events: Sequence[Event]) -> None:
    """Load, in a few queries, the groups ``events`` are about, their escalations (locked
    on PostgreSQL), and the services and policies of the groups about to page."""
    group_ids = {g for g in map(_group_of, events) if g is not None}
    if not group_ids:
        return
    session = uow.session
    held: list[Any] = uow.memo.setdefault(_HELD, [])
    groups = session.scalars(select(AlertGroup).where(AlertGroup.id.in_(group_ids))).all()
    query = select(Escalation).where(Escalation.group_id.in_(group_ids))
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    escalations = session.scalars(query.execution_options(populate_existing=True)).all()
    known: dict[str, Escalation | None] = uow.memo.setdefault(_ESCALATIONS, {})
    known.update(dict.fromkeys(group_ids))
    known.update({esc.group_id: esc for esc in escalations})
    held += [*groups, *escalations]
    opening = {e.subject_id for e in events if e.type == OPENED} - {
        esc.group_id for esc in escalations
    }
    service_ids = {g.service_id for g in groups if g.id in opening}
    if not service_ids:
        return
    services = session.scalars(select(Service).where(Service.id.in_(service_ids))).all()
    policy_ids = {s.escalation_policy_id for s in services if s.escalation_policy_id}
    held += services
    if policy_ids:
        held += session.scalars(
            select(EscalationPolicy)
            .where(EscalationPolicy.id.in_(policy_ids))
            .options(selectinload(EscalationPolicy.levels))
        ).all()


def _escalation(uow: UnitOfWork, group_id: str) -> Escalation | None:
    """The group's escalation (as prefetched, or locked now)."""
    known: dict[str, Escalation | None] = uow.memo.get(_ESCALATIONS, {})
    if group_id in known:
        return known[group_id]
    return lock_escalation(uow, group_id)


def react(uow: UnitOfWork, event: Event) -> bool:
    """Apply one event; True when an escalation was started or changed."""
    group_id = _group_of(event)
    if group_id is None:
        return False
    if event.type == OPENED:
        return _opened(uow, group_id)
    esc = _escalation(uow, group_id)
    group = uow.session.get(AlertGroup, group_id)
    if esc is None or group is None:
        return False
    return follow_group(uow, ENGINE, esc, group)


def _opened(uow: UnitOfWork, group_id: str) -> bool:
    group = uow.session.get(AlertGroup, group_id)
    if group is None or group.status == "resolved":
        return False
    if _escalation(uow, group.id) is not None:
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
                     subject_id=group.id, data={"why": f"nobody was paged: {why}"},
                     stream=escalation_stream(group.service_id))  # fmt: skip
        return True
    esc = start_escalation(uow, ENGINE, group, service, policy)
    uow.memo.setdefault(_ESCALATIONS, {})[group.id] = esc
    follow_group(uow, ENGINE, esc, group)  # acknowledged before the engine got to it
    return True
