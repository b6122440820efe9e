"""Status updates: internal ones (conditions / actions / needs) for the response team,
public ones (plain language, with a status) for stakeholders and the status page.

Posting one resets the clock of the severity's update cadence; the engine reminds the
Communications Lead (or the Commander) when the next one is due
(:mod:`muster.engine.modules.incident_updates`), and the notification engine delivers
it to the incident's subscribers (:mod:`muster.domain.notify.incident_updates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.models import Incident, StatusUpdate
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import COMMANDER, holder
from muster.domain.incidents.service import schedule_next_update
from muster.domain.incidents.update_schemas import (
    UPDATE_KINDS,
    InternalUpdateIn,
    PublicUpdateIn,
    UpdateOut,
)
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput

COMMUNICATIONS = "communications"
MAX_UPDATES = 500


def do_post_update(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: InternalUpdateIn | PublicUpdateIn
) -> StatusUpdate:
    """Post a status update; it counts as the update the cadence asked for, so the next
    one is due a cadence from now.

    Preconditions: responder role; the incident visible and not merged into another; an
    internal update says at least one of conditions, actions or needs."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if incident.status == "merged":
        raise Conflict(
            "this incident was merged into another: post the update there",
            errors=[FieldError("incident_id", "merged")],
        )
    now = uow.now
    row = StatusUpdate(
        incident_id=incident.id, kind=data.kind, posted_at=now, author_id=actor.id,
        author_label=actor.label,
    )  # fmt: skip
    if isinstance(data, InternalUpdateIn):
        if not (data.conditions or data.actions or data.needs):
            raise InvalidInput(
                "an internal update says something",
                errors=[FieldError("conditions", "write conditions, actions or needs")],
            )
        row.conditions, row.actions, row.needs = data.conditions, data.actions, data.needs
        said = {"conditions": data.conditions, "actions": data.actions, "needs": data.needs}
    else:
        row.body, row.public_status = data.body, data.public_status
        said = {"body": data.body, "public_status": data.public_status}
    uow.session.add(row)
    uow.flush()
    incident.last_update_at = now
    schedule_next_update(uow, incident)
    record(uow, actor, incident, "incident.update_posted", update_id=row.id, kind=row.kind, **said)
    return row


def list_updates(
    uow: UnitOfWork,
    actor: Actor,
    incident_id: str,
    *,
    kind: str | None = None,
    limit: int = 100,
) -> Sequence[StatusUpdate]:
    """The incident's updates, newest first (``kind``: internal or public only)."""
    if kind is not None and kind not in UPDATE_KINDS:
        raise InvalidInput("unknown kind", errors=[FieldError("kind", "internal or public")])
    if not 1 <= limit <= MAX_UPDATES:
        raise InvalidInput(
            "limit out of range", errors=[FieldError("limit", f"1 to {MAX_UPDATES}")]
        )
    incident = get_visible_incident(uow, actor, incident_id)
    query = select(StatusUpdate).where(StatusUpdate.incident_id == incident.id)
    if kind is not None:
        query = query.where(StatusUpdate.kind == kind)
    return uow.session.scalars(
        query.order_by(StatusUpdate.posted_at.desc(), StatusUpdate.id.desc()).limit(limit)
    ).all()


def update_out(row: StatusUpdate) -> UpdateOut:
    return UpdateOut.model_validate(row)


# ---------------------------------------------------------------- the cadence's reminders


def reminder_recipients(uow: UnitOfWork, incident_id: str) -> list[str]:
    """Whom an update that is due is asked of: the Communications Lead, else the
    Commander (nobody when neither role is held)."""
    for role in (COMMUNICATIONS, COMMANDER):
        held = holder(uow, incident_id, role)
        if held is not None:
            return [held.user_id]
    return []


def due_for_reminder(uow: UnitOfWork, now: datetime, *, limit: int = 200) -> Sequence[Incident]:
    """Open incidents whose next update is due and whose reminder for that due time has
    not gone out, locked for this transaction (``SKIP LOCKED`` on PostgreSQL, so two
    workers never remind about the same one)."""
    return claim(uow, reminders_due(now), limit=limit)


def reminders_due(now: datetime) -> Select[Incident]:
    """Open incidents whose update is due at ``now`` and not yet reminded of, in order."""
    return (
        select(Incident)
        .where(
            Incident.next_update_due_at <= now,
            Incident.status.in_(OPEN_STATUSES),
            (Incident.update_reminded_at.is_(None))
            | (Incident.update_reminded_at < Incident.next_update_due_at),
        )
        .order_by(Incident.next_update_due_at, Incident.id)
    )


def do_remind_update_due(uow: UnitOfWork, actor: Actor, incident: Incident) -> list[str]:
    """Record ``incident.update_due`` (the notification engine tells the people named)
    and mark the reminder sent for the current due time. Returns whom it names.

    Preconditions: the incident was claimed by :func:`due_for_reminder` in this unit of
    work."""
    users = reminder_recipients(uow, incident.id)
    incident.update_reminded_at = uow.now
    record(
        uow, actor, incident, "incident.update_due",
        user_ids=users, due_at=incident.next_update_due_at,
        last_update_at=incident.last_update_at,
    )  # fmt: skip
    return users
