"""What people do to a running escalation: look at it, escalate now, reassign, snooze.

Each runs in the caller's unit of work, with the escalation row locked so an engine
worker taking a step at the same moment waits (and then sees the new state).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require
from muster.domain.alerts.lifecycle import do_acknowledge, do_retrigger_group
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.alerts.service import get_group
from muster.domain.escalation.models import Escalation, EscalationPolicy
from muster.domain.escalation.schemas import EscalationOut, ReassignIn
from muster.domain.escalation.snapshot import PolicySnap, single_user_snapshot, take_snapshot
from muster.domain.escalation.steps import escalate, record
from muster.domain.events.actor import Actor, Role
from muster.errors import Conflict, FieldError, InvalidInput, NotFound


def lock_escalation(uow: UnitOfWork, group_id: str) -> Escalation | None:
    """The group's escalation, locked for this transaction (waits for a worker's step)."""
    query = select(Escalation).where(Escalation.group_id == group_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    return uow.session.scalars(query.execution_options(populate_existing=True)).one_or_none()


def get_escalation(uow: UnitOfWork, group_id: str) -> Escalation:
    get_group(uow, group_id)
    esc = uow.session.scalar(select(Escalation).where(Escalation.group_id == group_id))
    if esc is None:
        raise NotFound("this alert group is not being escalated (its service has no policy)")
    return esc


def _open(uow: UnitOfWork, group_id: str) -> tuple[AlertGroup, Escalation]:
    group = get_group(uow, group_id)
    esc = lock_escalation(uow, group_id)
    if esc is None:
        raise NotFound("this alert group is not being escalated (its service has no policy)")
    if group.status == "resolved":
        raise Conflict("the alert group is resolved: there is nothing to escalate")
    return group, esc


def _activate(uow: UnitOfWork, actor: Actor, esc: Escalation, group: AlertGroup, why: str) -> None:
    """Make ``esc`` page again from its current position (the group triggered again)."""
    if group.status == "acknowledged":
        do_retrigger_group(uow, actor, group, why)
    esc.status = "active"
    esc.ack_timeout_due_at = esc.snoozed_until = None


def do_escalate_now(uow: UnitOfWork, actor: Actor, group_id: str) -> Escalation:
    """Page the level after the one reached last, now (responder). After the last level
    comes the first again."""
    require(actor, Role.RESPONDER)
    group, esc = _open(uow, group_id)
    snap = PolicySnap.of(esc.policy)
    record(uow, actor, "escalation.escalated", esc, by=actor.label, from_status=esc.status)
    _activate(uow, actor, esc, group, f"escalated by {actor.label}")
    index = 0 if esc.reached_level_index is None else esc.reached_level_index + 1
    if index >= len(snap.levels):
        index = 0
        esc.loop += 1
    esc.level_index = index
    escalate(uow, actor, esc, group, "escalate_now")
    return esc


def do_reassign(uow: UnitOfWork, actor: Actor, group_id: str, data: ReassignIn) -> Escalation:
    """Page one person, or follow another policy, from its first level now (responder)."""
    require(actor, Role.RESPONDER)
    group, esc = _open(uow, group_id)
    old = PolicySnap.of(esc.policy)
    if data.user_id is not None:
        user = uow.session.get(User, data.user_id)
        if user is None or user.archived_at is not None:
            raise InvalidInput(
                "no such person", errors=[FieldError("user_id", "no active user has this id")]
            )
        at = esc.reached_level_index or 0
        delay = old.levels[min(at, len(old.levels) - 1)].delay_minutes if old.levels else 5
        snap = single_user_snapshot(old, user.id, user.name, delay)
        esc.policy_id = None
        to = {"user_id": user.id, "name": user.name}
    else:
        policy = uow.session.get(EscalationPolicy, data.escalation_policy_id)
        if policy is None or policy.archived_at is not None or not policy.levels:
            raise InvalidInput(
                "no such escalation policy",
                errors=[
                    FieldError("escalation_policy_id", "no active policy with levels has this id")
                ],
            )
        snap = take_snapshot(policy, old.urgency_rules)
        esc.policy_id = policy.id
        to = {"escalation_policy_id": policy.id, "name": policy.name}
    esc.policy = snap.as_json()
    record(uow, actor, "escalation.reassigned", esc, by=actor.label, to=to, from_policy=old.name)
    _activate(uow, actor, esc, group, f"reassigned by {actor.label}")
    esc.level_index, esc.loop, esc.reached_level_index = 0, 0, None
    escalate(uow, actor, esc, group, "reassigned")
    return esc


def do_snooze(uow: UnitOfWork, actor: Actor, group_id: str, minutes: int) -> Escalation:
    """Acknowledge for ``minutes`` (responder); then the group triggers again and the
    level reached last is paged again."""
    require(actor, Role.RESPONDER)
    group, esc = _open(uow, group_id)
    for alert in list(uow.session.scalars(select(Alert).where(Alert.group_id == group.id))):
        do_acknowledge(uow, actor, alert)
    until = uow.now + timedelta(minutes=minutes)
    esc.status = "snoozed"
    esc.snoozed_until = esc.next_due_at = until
    esc.ack_timeout_due_at = None
    esc.held_until_support_hours = False
    esc.updated_at = uow.now
    record(uow, actor, "escalation.snoozed", esc, by=actor.label, minutes=minutes, until=until)
    return esc


def _next_level(esc: Escalation, snap: PolicySnap) -> int | None:
    """The level paged at ``next_due_at`` (None: the escalation is exhausted then)."""
    if esc.level_index < len(snap.levels):
        return esc.level_index + 1
    return 1 if esc.loop < snap.repeat_count else None


def escalation_out(esc: Escalation) -> EscalationOut:
    snap = PolicySnap.of(esc.policy)
    paging = esc.status == "active" and esc.next_due_at is not None
    return EscalationOut(
        id=esc.id,
        group_id=esc.group_id,
        service_id=esc.service_id,
        status=esc.status,
        policy_id=esc.policy_id,
        policy_name=snap.name,
        levels=len(snap.levels),
        repeat_count=snap.repeat_count,
        next_level=_next_level(esc, snap) if paging else None,
        reached_level=None if esc.reached_level_index is None else esc.reached_level_index + 1,
        loop=esc.loop,
        next_due_at=esc.next_due_at,
        ack_timeout_due_at=esc.ack_timeout_due_at,
        snoozed_until=esc.snoozed_until,
        held_until_support_hours=esc.held_until_support_hours,
        policy=esc.policy,
        created_at=esc.created_at,
        updated_at=esc.updated_at,
    )
