"""What the "Stakeholders" section of an incident's page shows: who follows the incident
itself (people and announcement channels), whether the viewer does, who is told through
a service or severity they follow, and the channels a responder may add."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, User
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.subscriptions import (
    list_subscriptions,
    subscribers_of,
    subscriptions_out,
)
from muster.domain.incidents.visibility import user_can_see
from muster.domain.notify.models import AnnouncementChannel
from muster.web.auth import Caller


def _names(uow: UnitOfWork, model: type[Team] | type[Service], ids: set[str]) -> dict[str, str]:
    return {
        r.id: r.name
        for r in uow.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    }


def channel_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(id, "Team Core: #ops (chat)") of every announcement channel in use, by owner."""
    channels = uow.session.scalars(
        select(AnnouncementChannel)
        .where(AnnouncementChannel.removed_at.is_(None))
        .order_by(AnnouncementChannel.owner_type, func.lower(AnnouncementChannel.label))
    ).all()
    owner_ids = {c.owner_id for c in channels}
    owners = {"team": _names(uow, Team, owner_ids), "service": _names(uow, Service, owner_ids)}
    out = []
    for c in channels:
        owner = owners.get(c.owner_type, {}).get(c.owner_id, "?")
        out.append((c.id, f"{c.owner_type.capitalize()} {owner}: {c.label} ({c.type})"))
    return out


def stakeholder_context(uow: UnitOfWork, caller: Caller, incident: Incident) -> dict[str, Any]:
    actor = caller.actor
    rows = list_subscriptions(uow, actor, scope_type="incident", scope_id=incident.id)
    direct = subscriptions_out(uow, rows)
    mine = next(
        (s for s in direct if s.subscriber_type == "user" and s.subscriber_id == actor.id), None
    )
    followed = {(s.subscriber_type, s.subscriber_id) for s in direct}
    others = [
        r
        for r in subscribers_of(uow, incident)
        if r.scope_type != "incident" and (r.subscriber_type, r.subscriber_id) not in followed
    ]
    if incident.restricted:  # told only if they may see it (and never a channel)
        found = uow.session.execute(
            select(User.id, User.role).where(User.id.in_([r.subscriber_id for r in others]))
        )
        roles = {r.id: r.role for r in found}
        others = [
            r
            for r in others
            if r.subscriber_type == "user"
            and r.subscriber_id in roles
            and user_can_see(uow, incident, r.subscriber_id, Role.parse(roles[r.subscriber_id]))
        ]
    can_add = actor.role >= Role.RESPONDER
    return {
        "stakeholders": direct,
        "my_follow": mine,
        "also_told": subscriptions_out(uow, others),
        "stake_channels": channel_choices(uow) if can_add and not incident.restricted else [],
    }
