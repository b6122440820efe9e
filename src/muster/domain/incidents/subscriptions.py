"""Stakeholders: a person or an announcement channel (a team's or a service's room or
list) follows one incident, every incident of a service, or every incident of a
severity, and receives its status updates — never pages.

Who receives what is decided when an update is delivered
(:mod:`muster.domain.notify.incident_updates`): a restricted incident's updates reach
only subscribers who may see it (so never a channel), and internal updates only people.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.incidents.models import Incident, SeverityLevel, Subscription
from muster.domain.incidents.record import record
from muster.domain.incidents.service import check_user, reference
from muster.domain.incidents.update_schemas import SubscriptionIn, SubscriptionOut
from muster.domain.incidents.visibility import can_see, get_visible_incident, person_may_see
from muster.domain.notify.models import AnnouncementChannel
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

MAX_LIST = 500


def _severity_key(value: str) -> str:
    """``"1"`` for ``1``, ``"SEV1"`` or ``"sev1"``; :class:`InvalidInput` otherwise."""
    level = value.strip().upper().removeprefix("SEV")
    if level not in {"1", "2", "3", "4", "5"}:
        raise InvalidInput(
            "unknown severity", errors=[FieldError("scope_id", "a severity from 1 to 5")]
        )
    return level


def _check_subscriber(
    uow: UnitOfWork, actor: Actor, data: SubscriptionIn
) -> tuple[str, str, User | None]:
    """The subscriber's id and name (and the person, for a user)."""
    if data.subscriber_type == "channel":
        require(actor, Role.RESPONDER)
        channel = uow.session.get(AnnouncementChannel, data.subscriber_id or "")
        if channel is None or channel.removed_at is not None:
            raise InvalidInput(
                "unknown channel",
                errors=[FieldError("subscriber_id", "no announcement channel has this id")],
            )
        return channel.id, channel.label, None
    user_id = data.subscriber_id or actor.id
    if user_id is None:
        raise InvalidInput("name the person", errors=[FieldError("subscriber_id", "required")])
    if user_id != actor.id:
        require(actor, Role.RESPONDER)
    user = check_user(uow, user_id, field="subscriber_id")
    return user.id, user.name, user


def _existing(uow: UnitOfWork, kind: str, who: str, scope: str, scope_id: str) -> bool:
    found = uow.session.scalar(
        select(Subscription.id).where(
            Subscription.subscriber_type == kind,
            Subscription.subscriber_id == who,
            Subscription.scope_type == scope,
            Subscription.scope_id == scope_id,
        )
    )
    return found is not None


def do_subscribe(uow: UnitOfWork, actor: Actor, data: SubscriptionIn) -> Subscription:
    """Make a person (yourself by default) or a channel follow an incident, a service or a
    severity.

    Preconditions: viewer role to subscribe yourself, responder to subscribe someone else
    or a channel; the subscriber and the scope exist (an incident visible to the actor);
    a restricted incident takes only people who may see it, never a channel; not already
    subscribed."""
    require(actor, Role.VIEWER)
    who, name, user = _check_subscriber(uow, actor, data)
    incident: Incident | None = None
    scope_id = data.scope_id
    if data.scope_type == "incident":
        incident = get_visible_incident(uow, actor, data.scope_id)
        if incident.restricted:
            if user is None:
                raise InvalidInput(
                    "a channel cannot follow a restricted incident",
                    errors=[FieldError("subscriber_type", "restricted incidents reach people only")],
                )  # fmt: skip
            if not person_may_see(uow, incident, user):
                raise InvalidInput(
                    "this person may not see this restricted incident",
                    errors=[FieldError("subscriber_id", "not allowed to see this incident")],
                )
    elif data.scope_type == "service":
        service = uow.session.get(Service, data.scope_id)
        if service is None or service.archived_at is not None:
            raise InvalidInput(
                "unknown service", errors=[FieldError("scope_id", "no active service has this id")]
            )
    else:
        scope_id = _severity_key(data.scope_id)
    if _existing(uow, data.subscriber_type, who, data.scope_type, scope_id):
        raise Conflict("already subscribed", errors=[FieldError("scope_id", "already subscribed")])
    row = Subscription(
        subscriber_type=data.subscriber_type, subscriber_id=who, scope_type=data.scope_type,
        scope_id=scope_id, created_at=uow.now, created_by=actor.label,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    said = {"subscription_id": row.id, "subscriber_type": row.subscriber_type,
            "subscriber_id": who, "subscriber_name": name}  # fmt: skip
    if incident is not None:
        record(uow, actor, incident, "incident.subscribed", **said)
    else:
        _scope_event(uow, actor, row, "incident_subscription.added", said)
    return row


def _scope_event(
    uow: UnitOfWork, actor: Actor, row: Subscription, kind: str, data: dict[str, Any]
) -> None:
    subject = "service" if row.scope_type == "service" else "severity_level"
    append_event(
        uow, actor, kind, subject_type=subject, subject_id=row.scope_id,
        data={**data, "scope_type": row.scope_type, "scope_id": row.scope_id},
    )  # fmt: skip


def do_unsubscribe(uow: UnitOfWork, actor: Actor, subscription_id: str) -> None:
    """End a subscription.

    Preconditions: viewer role for one's own, responder for anyone else's or a
    channel's; an incident's subscription only when the actor may see the incident."""
    require(actor, Role.VIEWER)
    row = uow.session.get(Subscription, subscription_id)
    if row is None:
        raise NotFound("no such subscription")
    incident = None
    if row.scope_type == "incident":
        incident = uow.session.get(Incident, row.scope_id)
        if incident is not None and not can_see(uow, actor, incident):
            raise NotFound("no such subscription")
    if not (row.subscriber_type == "user" and row.subscriber_id == actor.id):
        require(actor, Role.RESPONDER)
    said = {"subscription_id": row.id, "subscriber_type": row.subscriber_type,
            "subscriber_id": row.subscriber_id}  # fmt: skip
    if incident is not None:
        record(uow, actor, incident, "incident.unsubscribed", **said)
    else:
        _scope_event(uow, actor, row, "incident_subscription.removed", said)
    uow.session.delete(row)
    uow.flush()


def list_subscriptions(
    uow: UnitOfWork,
    actor: Actor,
    *,
    scope_type: str | None = None,
    scope_id: str | None = None,
    subscriber_type: str | None = None,
    subscriber_id: str | None = None,
) -> list[Subscription]:
    """Subscriptions matching the filters, oldest first; those to an incident the actor
    may not see are left out (an incident scope the actor may not see: NotFound)."""
    require(actor, Role.VIEWER)
    query = select(Subscription)
    if scope_type is not None:
        query = query.where(Subscription.scope_type == scope_type)
    if scope_id is not None:
        if scope_type == "incident":
            get_visible_incident(uow, actor, scope_id)
        if scope_type == "severity":
            scope_id = _severity_key(scope_id)
        query = query.where(Subscription.scope_id == scope_id)
    if subscriber_type is not None:
        query = query.where(Subscription.subscriber_type == subscriber_type)
    if subscriber_id is not None:
        query = query.where(Subscription.subscriber_id == subscriber_id)
    rows = uow.session.scalars(
        query.order_by(Subscription.created_at, Subscription.id).limit(MAX_LIST)
    ).all()
    incident_ids = {r.scope_id for r in rows if r.scope_type == "incident"}
    incidents = {
        i.id: i for i in uow.session.scalars(select(Incident).where(Incident.id.in_(incident_ids)))
    }
    return [
        r
        for r in rows
        if r.scope_type != "incident"
        or (r.scope_id in incidents and can_see(uow, actor, incidents[r.scope_id]))
    ]


def subscribers_of(uow: UnitOfWork, incident: Incident) -> list[Subscription]:
    """Everyone following ``incident`` — itself, one of its services, its severity —
    each subscriber once (whatever their scopes)."""
    service_ids = [s.service_id for s in incident.services]
    clauses = [
        (Subscription.scope_type == "incident") & (Subscription.scope_id == incident.id),
        (Subscription.scope_type == "severity") & (Subscription.scope_id == str(incident.severity)),
    ]
    if service_ids:
        clauses.append(
            (Subscription.scope_type == "service") & (Subscription.scope_id.in_(service_ids))
        )
    rows = uow.session.scalars(
        select(Subscription).where(or_(*clauses)).order_by(Subscription.created_at)
    ).all()
    seen: dict[tuple[str, str], Subscription] = {}
    for row in rows:
        seen.setdefault((row.subscriber_type, row.subscriber_id), row)
    return list(seen.values())


def subscriptions_out(uow: UnitOfWork, rows: Sequence[Subscription]) -> list[SubscriptionOut]:
    """With the names of subscribers and scopes (looked up together)."""
    ids: dict[str, set[str]] = {}
    for r in rows:
        ids.setdefault(r.subscriber_type, set()).add(r.subscriber_id)
        ids.setdefault(r.scope_type, set()).add(r.scope_id)
    names: dict[tuple[str, str], str] = {}
    for u in uow.session.scalars(select(User).where(User.id.in_(ids.get("user", set())))):
        names["user", u.id] = u.name
    channels = select(AnnouncementChannel).where(
        AnnouncementChannel.id.in_(ids.get("channel", set()))
    )
    for c in uow.session.scalars(channels):
        names["channel", c.id] = c.label
    for i in uow.session.scalars(
        select(Incident).where(Incident.id.in_(ids.get("incident", set())))
    ):
        names["incident", i.id] = f"{reference(i)} {i.title}"
    for s in uow.session.scalars(select(Service).where(Service.id.in_(ids.get("service", set())))):
        names["service", s.id] = s.name
    for lv in uow.session.scalars(select(SeverityLevel)):
        names["severity", str(lv.level)] = f"{lv.name} {lv.label}"
    return [
        SubscriptionOut(
            id=r.id,
            subscriber_type=r.subscriber_type,
            subscriber_id=r.subscriber_id,
            subscriber_name=names.get((r.subscriber_type, r.subscriber_id), ""),
            scope_type=r.scope_type,
            scope_id=r.scope_id,
            scope_name=names.get((r.scope_type, r.scope_id), ""),
            created_at=r.created_at,
            created_by=r.created_by,
        )
        for r in rows
    ]
