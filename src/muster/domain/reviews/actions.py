"""Action items: follow-ups from an incident (or its review) with an owner, a team, a
due day, a priority and a kind, tracked to done across incidents.

Status moves: ``open`` ⇄ ``in_progress``; either → ``done`` or ``wont_do``; ``done`` /
``wont_do`` → ``open`` (reopened). Preconditions: ``in_progress`` needs an owner;
``wont_do`` needs a reason. Done stamps ``done_at``/``done_by``; leaving done clears them.

An item is **overdue** when it is open or in progress and its due day (UTC) has passed:
an item due on the 3rd is overdue from the 4th 00:00 UTC. Overdue items are reminded
once a day (:mod:`muster.domain.reviews.action_reminders`).

The owner of an item on a restricted incident takes part in the incident, so they can
see it. Queries are in :mod:`muster.domain.reviews.action_views`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, TeamMember
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.participants import add_participant
from muster.domain.incidents.record import record
from muster.domain.incidents.service import check_user
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.reviews.action_models import ActionItem
from muster.domain.reviews.action_schemas import ActionItemIn, ActionItemUpdate
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

OPEN = ("open", "in_progress")
CLOSED_INCIDENT = ("declined", "merged")


def key_of(item: ActionItem) -> str:
    return f"AI-{item.number}"


def is_overdue(item: ActionItem, today: date) -> bool:
    return item.status in OPEN and item.due_on is not None and item.due_on < today


def age_days(item: ActionItem, now: datetime) -> int:
    """Whole days since the item was created."""
    return max((now - item.created_at).days, 0)


def get_action_item(uow: UnitOfWork, actor: Actor, item_id: str) -> ActionItem:
    """The item (by id or ``AI-n``) if ``actor`` may see its incident; NotFound otherwise."""
    item = uow.session.get(ActionItem, item_id)
    number = item_id.upper().removeprefix("AI-")
    if item is None and number.isdigit():
        item = uow.session.scalar(select(ActionItem).where(ActionItem.number == int(number)))
    if item is None:
        raise NotFound("no such action item")
    get_visible_incident(uow, actor, item.incident_id)
    return item


def _check_owner(uow: UnitOfWork, user_id: str) -> None:
    user = check_user(uow, user_id, field="owner_id")
    if Role.parse(user.role) < Role.RESPONDER:
        raise InvalidInput(
            "owner cannot act",
            errors=[FieldError("owner_id", "a viewer cannot own an action item")],
        )


def _check_team(uow: UnitOfWork, team_id: str) -> None:
    team = uow.session.get(Team, team_id)
    if team is None or team.archived_at is not None:
        raise InvalidInput("no such team", errors=[FieldError("team_id", "no such team")])


def default_team(uow: UnitOfWork, incident: Incident, owner_id: str | None) -> str | None:
    """The owner's first team (oldest membership of an active team), else the team of
    the incident's first service (by name), else none."""
    if owner_id is not None:
        team_id = uow.session.scalar(
            select(TeamMember.team_id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(TeamMember.user_id == owner_id, Team.archived_at.is_(None))
            .order_by(TeamMember.added_at, TeamMember.id)
            .limit(1)
        )
        if team_id is not None:
            return team_id
    service_ids = [s.service_id for s in incident.services]
    if not service_ids:
        return None
    return uow.session.scalar(
        select(Service.team_id).where(Service.id.in_(service_ids)).order_by(Service.name).limit(1)
    )


def _check_url_pair(url: str | None, key: str | None) -> None:
    if key is not None and url is None:
        raise InvalidInput(
            "tracker key without a link",
            errors=[FieldError("tracker_url", "give the tracker's link with its key")],
        )


def do_create_action_item(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: ActionItemIn, *,
    review_id: str | None = None,
) -> ActionItem:  # fmt: skip
    """Add an action item to the incident (``review_id``: the review it came from).

    Preconditions: responder role; the incident visible and not declined or merged; the
    owner an active person who may act; the team existing; a tracker key only with a
    tracker link."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if incident.status in CLOSED_INCIDENT:
        raise Conflict(
            f"the incident is {incident.status}",
            errors=[FieldError("incident_id", f"no action items once {incident.status}")],
        )
    if data.owner_id is not None:
        _check_owner(uow, data.owner_id)
    if data.team_id is not None:
        _check_team(uow, data.team_id)
    _check_url_pair(data.tracker_url, data.tracker_key)
    number = (uow.session.scalar(select(func.max(ActionItem.number))) or 0) + 1
    item = ActionItem(
        incident_id=incident.id, review_id=review_id, number=number, title=data.title,
        description=data.description, kind=data.kind, priority=data.priority,
        owner_id=data.owner_id,
        team_id=data.team_id or default_team(uow, incident, data.owner_id),
        due_on=data.due_on, status="open", tracker_url=data.tracker_url,
        tracker_key=data.tracker_key, created_at=uow.now, created_by=actor.label,
        updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(item)
    uow.flush()
    if item.owner_id is not None and incident.restricted:
        add_participant(uow, actor, incident, item.owner_id, page=False)
    record(
        uow, actor, incident, "incident.action_item_added", action_item_id=item.id,
        key=key_of(item), title=item.title, kind=item.kind, priority=item.priority,
        owner_id=item.owner_id, due_on=item.due_on.isoformat() if item.due_on else None,
    )  # fmt: skip
    return item


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


FIELDS = ("title", "description", "kind", "priority", "owner_id", "team_id", "due_on",
          "tracker_url", "tracker_key")  # fmt: skip
NOT_NULL = ("title", "description", "kind", "priority", "status")


def do_update_action_item(
    uow: UnitOfWork, actor: Actor, item_id: str, data: ActionItemUpdate
) -> ActionItem:
    """Change the given fields; one ``incident.action_item_updated`` event lists the
    changes (nothing changed: no event). A new owner or due day is reminded afresh.

    Preconditions: responder role; the item's incident visible; ``title``,
    ``description``, ``kind``, ``priority`` and ``status`` not null; the owner and team
    as in :func:`do_create_action_item`; ``in_progress`` with an owner; ``wont_do`` with
    ``wont_do_reason`` (given now or already stored); a tracker key with a link."""
    require(actor, Role.RESPONDER)
    item = get_action_item(uow, actor, item_id)
    incident = uow.session.get_one(Incident, item.incident_id)
    given = data.model_fields_set
    for name in NOT_NULL:
        if name in given and getattr(data, name) is None:
            raise InvalidInput(f"{name} cannot be null", errors=[FieldError(name, "required")])
    new = {name: getattr(data, name) if name in given else getattr(item, name)
           for name in (*FIELDS, "status")}  # fmt: skip
    if new["owner_id"] != item.owner_id and new["owner_id"] is not None:
        _check_owner(uow, new["owner_id"])
    if new["team_id"] != item.team_id and new["team_id"] is not None:
        _check_team(uow, new["team_id"])
    _check_url_pair(new["tracker_url"], new["tracker_key"])
    reason = data.wont_do_reason if "wont_do_reason" in given else item.wont_do_reason
    if new["status"] == "in_progress" and new["owner_id"] is None:
        raise Conflict(
            "nobody owns it", errors=[FieldError("owner_id", "give it an owner to start it")]
        )
    if new["status"] == "wont_do" and not reason:
        raise InvalidInput(
            "a reason is needed", errors=[FieldError("wont_do_reason", "say why it won't be done")]
        )
    changes = {
        name: {"from": _plain(getattr(item, name)), "to": _plain(value)}
        for name, value in new.items()
        if value != getattr(item, name)
    }
    if new["status"] == "wont_do" and reason != item.wont_do_reason:
        changes["wont_do_reason"] = {"from": item.wont_do_reason, "to": reason}
    if not changes:
        return item
    for name, value in new.items():
        setattr(item, name, value)
    if "status" in changes:
        item.done_at = uow.now if item.status == "done" else None
        item.done_by = actor.label if item.status == "done" else None
    item.wont_do_reason = reason if item.status == "wont_do" else None
    if "owner_id" in changes or "due_on" in changes:
        item.reminded_on = None
    item.updated_at = uow.now
    uow.flush()
    if "owner_id" in changes and item.owner_id is not None and incident.restricted:
        add_participant(uow, actor, incident, item.owner_id, page=False)
    record(
        uow, actor, incident, "incident.action_item_updated", action_item_id=item.id,
        key=key_of(item), title=item.title, changes=changes,
    )  # fmt: skip
    return item
