"""The escalation state machine: start paging a group, take the step that is due, and
follow the group's own status (acknowledged, resolved, triggered again).

States (``Escalation.status``) and what ``next_due_at`` means in each:

* ``active``: the next level is reached at ``next_due_at`` (None: a low-urgency group
  held with no support hours). A level with nobody to notify is skipped at once with
  a warning; a whole pass with nobody pages the service team's managers instead.
* ``acknowledged``: stopped; with an ack timeout, ``next_due_at`` re-triggers the group
  and restarts from the first level if it is still not resolved.
* ``snoozed``: a timed acknowledgement; at ``next_due_at`` the group is triggered again
  and the level reached last is notified again.
* ``exhausted``: every pass paged, nobody acknowledged; nothing more is due.
* ``resolved``: the group is resolved; final.

Every change is an event on the alert group's timeline (its subject is the group); each
person to notify gets one ``notification.requested`` event, which the notification module
delivers. The events of a service's escalations chain in one stream (see
:func:`escalation_stream`), so a storm of new groups locks one stream head, not one each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from muster.clock import isoformat
from muster.db.uow import UnitOfWork
from muster.domain.alerts.lifecycle import do_retrigger_group
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.escalation.models import Escalation, EscalationPolicy
from muster.domain.escalation.snapshot import LevelSnap, PolicySnap, take_snapshot
from muster.domain.escalation.targets import Resolved, active_members, resolve_targets
from muster.domain.escalation.urgency import next_support_start, notifies_only, urgency_of
from muster.domain.events.actor import Actor, Via
from muster.domain.events.service import append_event
from muster.ids import new_id

ENGINE = Actor.system(Via.ENGINE, label="engine")


def escalation_stream(service_id: str) -> str:
    """The event stream of a service's escalations."""
    return f"escalations:{service_id}"


def record(uow: UnitOfWork, actor: Actor, type: str, esc: Escalation, **data: Any) -> None:
    """One event about ``esc`` on its alert group's timeline."""
    values = {k: isoformat(v) if isinstance(v, datetime) else v for k, v in data.items()}
    append_event(
        uow,
        actor,
        type,
        subject_type="alert_group",
        subject_id=esc.group_id,
        data={"escalation_id": esc.id, **values},
        stream=escalation_stream(esc.service_id),
    )


def start_escalation(
    uow: UnitOfWork, actor: Actor, group: AlertGroup, service: Service, policy: EscalationPolicy
) -> Escalation:
    """Start paging ``group`` by a snapshot of ``policy``; the first level is due now."""
    snap = take_snapshot(policy, service.urgency_rules)
    esc = Escalation(
        id=new_id(),
        group_id=group.id,
        service_id=service.id,
        policy_id=policy.id,
        policy=snap.as_json(),
        level_index=0,
        loop=0,
        status="active",
        next_due_at=uow.now,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(esc)
    record(
        uow,
        actor,
        "escalation.started",
        esc,
        policy_id=policy.id,
        policy_name=policy.name,
        levels=len(snap.levels),
        repeat_count=snap.repeat_count,
        ack_timeout_minutes=snap.ack_timeout_minutes,
        urgency=urgency_of(group.severity, snap.urgency_rules),
    )
    return esc


def follow_group(uow: UnitOfWork, actor: Actor, esc: Escalation, group: AlertGroup) -> bool:
    """Bring ``esc`` in line with the group's current status; True when it changed.

    Reads the group's status rather than trusting an event, so a late or repeated event
    changes nothing that already happened.
    """
    if group.status == "resolved":
        if esc.status == "resolved":
            return False
        _park(uow, esc, "resolved")
        record(uow, actor, "escalation.stopped", esc, reason="resolved", by=group.resolved_by)
        return True
    if group.status == "acknowledged":
        if esc.status not in ("active", "exhausted"):
            return False
        _park(uow, esc, "acknowledged")
        esc.ack_timeout_due_at = esc.next_due_at = _ack_timeout_due(esc, group)
        record(
            uow,
            actor,
            "escalation.stopped",
            esc,
            reason="acknowledged",
            by=group.acknowledged_by,
            ack_timeout_due_at=esc.ack_timeout_due_at,
        )
        return True
    if esc.status in ("acknowledged", "snoozed"):
        restart(uow, actor, esc, group, "retriggered", level_index=0, loop=0)
        return True
    return False


def take_due_step(uow: UnitOfWork, actor: Actor, esc: Escalation, group: AlertGroup) -> None:
    """Act on ``esc`` whose ``next_due_at`` has come: exactly one step."""
    if follow_group(uow, actor, esc, group):
        return
    if esc.status == "active":
        escalate(
            uow,
            actor,
            esc,
            group,
            "support_hours" if esc.held_until_support_hours else "escalation",
        )
    elif esc.status == "acknowledged":
        _ack_timeout(uow, actor, esc, group)
    elif esc.status == "snoozed":
        _snooze_ended(uow, actor, esc, group)
    else:
        esc.next_due_at = None


def restart(
    uow: UnitOfWork,
    actor: Actor,
    esc: Escalation,
    group: AlertGroup,
    reason: str,
    *,
    level_index: int,
    loop: int,
) -> None:
    """Page again from ``level_index`` now (re-triggered, ack timeout, snooze ended ...)."""
    esc.status = "active"
    esc.ack_timeout_due_at = esc.snoozed_until = None
    esc.level_index, esc.loop = level_index, loop
    record(uow, actor, "escalation.restarted", esc, reason=reason, level=level_index + 1, loop=loop)
    escalate(uow, actor, esc, group, reason)


def escalate(
    uow: UnitOfWork, actor: Actor, esc: Escalation, group: AlertGroup, reason: str
) -> None:
    """Reach the level at ``esc.level_index`` (skipping empty ones), then set the timer."""
    now = uow.now
    snap = PolicySnap.of(esc.policy)
    n = len(snap.levels)
    esc.updated_at = now
    esc.held_until_support_hours = False
    urgency = urgency_of(group.severity, snap.urgency_rules)
    if (
        reason == "escalation"
        and esc.reached_level_index is not None
        and notifies_only(snap.urgency_rules, group.severity, now)
    ):
        _hold(uow, actor, esc, snap)
        return
    skipped, delay = 0, 1
    while skipped < n:
        if esc.level_index >= n:
            if esc.loop >= snap.repeat_count:
                _exhaust(uow, actor, esc, n)
                return
            esc.loop += 1
            esc.level_index = 0
        level = snap.levels[esc.level_index]
        resolved = resolve_targets(uow, level.targets, now)
        if resolved.user_ids:
            _reach(uow, actor, esc, group, snap, level, resolved, urgency, reason)
            return
        record(
            uow,
            actor,
            "escalation.skipped_level",
            esc,
            level=esc.level_index + 1,
            loop=esc.loop,
            warning="nobody to notify at this level: moving to the next one at once",
            skipped=resolved.skipped,
        )
        esc.level_index += 1
        skipped, delay = skipped + 1, level.delay_minutes
    if n == 0:
        _exhaust(uow, actor, esc, n)
    else:  # a whole pass's worth of levels in a row had nobody
        _fallback(uow, actor, esc, group, urgency, delay)


def _reach(
    uow: UnitOfWork,
    actor: Actor,
    esc: Escalation,
    group: AlertGroup,
    snap: PolicySnap,
    level: LevelSnap,
    resolved: Resolved,
    urgency: str,
    reason: str,
) -> None:
    number = esc.level_index + 1
    record(
        uow,
        actor,
        "escalation.level_reached",
        esc,
        level=number,
        loop=esc.loop,
        targets=list(level.targets),
        user_ids=resolved.user_ids,
        skipped=resolved.skipped,
        urgency=urgency,
        reason=reason,
    )
    for user_id in resolved.user_ids:
        _notify(uow, actor, esc, user_id, number, urgency, reason)
    esc.reached_level_index = esc.level_index
    esc.level_index += 1
    if notifies_only(snap.urgency_rules, group.severity, uow.now):
        _hold(uow, actor, esc, snap)
    else:
        esc.next_due_at = uow.now + timedelta(minutes=level.delay_minutes)


def _notify(
    uow: UnitOfWork,
    actor: Actor,
    esc: Escalation,
    user_id: str,
    level: int | None,
    urgency: str,
    reason: str,
) -> None:
    record(
        uow,
        actor,
        "notification.requested",
        esc,
        user_id=user_id,
        group_id=esc.group_id,
        level=level,
        loop=esc.loop,
        urgency=urgency,
        reason=reason,
    )


def _hold(uow: UnitOfWork, actor: Actor, esc: Escalation, snap: PolicySnap) -> None:
    """Low urgency outside support hours: no further level until support hours start,
    when the level reached last is notified again."""
    if esc.reached_level_index is not None:
        esc.level_index = esc.reached_level_index
    esc.next_due_at = next_support_start(snap.urgency_rules, uow.now)
    esc.held_until_support_hours = True
    record(
        uow,
        actor,
        "escalation.held",
        esc,
        reason="low urgency outside support hours",
        until=esc.next_due_at,
    )


def _fallback(
    uow: UnitOfWork,
    actor: Actor,
    esc: Escalation,
    group: AlertGroup,
    urgency: str,
    delay_minutes: int,
) -> None:
    """Nobody on any level: page the managers of the service's team, and say so."""
    team_id = uow.session.get_one(Service, group.service_id).team_id
    managers = active_members(uow, team_id, role="manager")
    record(
        uow,
        actor,
        "escalation.fallback_to_managers",
        esc,
        team_id=team_id,
        user_ids=managers,
        why="no level of the policy has anyone to notify",
        warning=None if managers else "the team has no active managers: nobody was notified",
    )
    for user_id in managers:
        _notify(uow, actor, esc, user_id, None, urgency, "fallback_team_managers")
    esc.next_due_at = uow.now + timedelta(minutes=delay_minutes)


def _exhaust(uow: UnitOfWork, actor: Actor, esc: Escalation, levels: int) -> None:
    _park(uow, esc, "exhausted")
    record(
        uow,
        actor,
        "escalation.exhausted",
        esc,
        passes=esc.loop + 1,
        levels=levels,
        warning="every level was paged and nobody acknowledged",
    )


def _park(uow: UnitOfWork, esc: Escalation, status: str) -> None:
    esc.status = status
    esc.next_due_at = esc.ack_timeout_due_at = esc.snoozed_until = None
    esc.held_until_support_hours = False
    esc.updated_at = uow.now


def _ack_timeout_due(esc: Escalation, group: AlertGroup) -> datetime | None:
    minutes = PolicySnap.of(esc.policy).ack_timeout_minutes
    if not minutes or group.acknowledged_at is None:
        return None
    return group.acknowledged_at + timedelta(minutes=minutes)


def _ack_timeout(uow: UnitOfWork, actor: Actor, esc: Escalation, group: AlertGroup) -> None:
    due = _ack_timeout_due(esc, group)
    if due is None or due > uow.now:  # no timeout, or acknowledged again since
        esc.ack_timeout_due_at = esc.next_due_at = due
        return
    record(
        uow,
        actor,
        "escalation.ack_timeout",
        esc,
        acknowledged_at=group.acknowledged_at,
        minutes=PolicySnap.of(esc.policy).ack_timeout_minutes,
    )
    do_retrigger_group(uow, actor, group, "acknowledged but not resolved in time")
    restart(uow, actor, esc, group, "ack_timeout", level_index=0, loop=0)


def _snooze_ended(uow: UnitOfWork, actor: Actor, esc: Escalation, group: AlertGroup) -> None:
    if esc.snoozed_until is not None and esc.snoozed_until > uow.now:
        esc.next_due_at = esc.snoozed_until
        return
    if group.status == "acknowledged":
        do_retrigger_group(uow, actor, group, "snooze ended")
    level = esc.reached_level_index if esc.reached_level_index is not None else 0
    restart(uow, actor, esc, group, "snooze_ended", level_index=level, loop=esc.loop)
