"""Commands on schedules, their layers and rotations (managers edit; everyone reads).

``check_*`` functions validate and raise; ``do_*`` functions change rows and append
events (subject ``schedule``), and assume the checks named in their docstrings.

The past is kept: a rotation edit takes effect from a chosen time (default now, never
earlier) by ending the versions in force there and adding a new one; removing a layer
ends its rotation now. Overrides and temporary schedules live in :mod:`.overrides`,
queries in :mod:`.queries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from muster.clock import isoformat
from muster.db.pagination import Page, paginate
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require
from muster.domain.catalog.service import check_team_usable
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.oncall import spec as s
from muster.domain.oncall.eras import drop_eras_after, split_era_at
from muster.domain.oncall.load import get_schedule, rotation_spec
from muster.domain.oncall.models import RotationVersion, Schedule, ScheduleLayer
from muster.domain.oncall.schemas import (
    LayerCreate,
    LayerOrder,
    LayerRename,
    RotationIn,
    ScheduleCreate,
    ScheduleUpdate,
)
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

# A time this little in the past counts as "now" (a form filled in a minute ago).
NOW_TOLERANCE = timedelta(minutes=5)

# ---------------------------------------------------------------- checks


def check_schedule_editable(uow: UnitOfWork, schedule_id: str) -> Schedule:
    schedule = get_schedule(uow, schedule_id)
    if schedule.archived_at is not None:
        raise Conflict("this schedule is archived; it can no longer be changed")
    return schedule


def check_schedule_name_free(uow: UnitOfWork, name: str, *, except_id: str | None = None) -> None:
    query = select(Schedule.id).where(func.lower(Schedule.name) == name.lower())
    if except_id:
        query = query.where(Schedule.id != except_id)
    if uow.session.scalar(query):
        raise Conflict(
            "a schedule with this name exists", errors=[FieldError("name", "already taken")]
        )


def check_users_active(uow: UnitOfWork, fields: Sequence[tuple[str, str]]) -> dict[str, User]:
    """``fields`` are (field name, user id); raises naming each one that is not an active
    user. Returns the users by id."""
    ids = {user_id for _, user_id in fields}
    users = {u.id: u for u in uow.session.scalars(select(User).where(User.id.in_(ids)))}
    errors = [
        FieldError(field, "no active user has this id")
        for field, user_id in fields
        if user_id not in users or users[user_id].archived_at is not None
    ]
    if errors:
        raise InvalidInput("unknown people", errors=errors)
    return users


def from_now(uow: UnitOfWork, value: datetime | None, field: str) -> datetime:
    """``value`` (default now) as a time from which a change applies: not in the past
    (up to :data:`NOW_TOLERANCE` earlier counts as now)."""
    if value is None or uow.now - NOW_TOLERANCE <= value <= uow.now:
        return uow.now
    if value < uow.now:
        raise InvalidInput(
            "changes apply from now on",
            errors=[FieldError(field, "must not be in the past: who was on call stays as it was")],
        )
    return value


def check_range(start: datetime, end: datetime, field: str = "end") -> None:
    if end <= start:
        raise InvalidInput(
            "the end is not after the start", errors=[FieldError(field, "must be after the start")]
        )


# ---------------------------------------------------------------- schedules


def do_create_schedule(uow: UnitOfWork, actor: Actor, data: ScheduleCreate) -> Schedule:
    """Create a schedule with no layers (nobody on call until a rotation is set)."""
    require(actor, Role.MANAGER)
    team = check_team_usable(uow, data.team_id)
    check_schedule_name_free(uow, data.name)
    schedule = Schedule(
        name=data.name,
        description=data.description,
        team_id=team.id,
        time_zone=data.time_zone,
        created_at=uow.now,
        updated_at=uow.now,
    )
    schedule.team = team
    schedule.layers = []
    uow.session.add(schedule)
    uow.flush()
    schedule_event(uow, actor, schedule, "schedule.created", name=schedule.name, team_id=team.id,
           time_zone=schedule.time_zone, description=schedule.description)  # fmt: skip
    return schedule


def do_update_schedule(
    uow: UnitOfWork, actor: Actor, schedule_id: str, data: ScheduleUpdate
) -> Schedule:
    """Edit name, team, zone, description. A new zone applies from now: handoffs read
    their wall time in it from now on, while the past keeps the zone it had."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != schedule.name:
        check_schedule_name_free(uow, data.name, except_id=schedule.id)
        changes["name"] = {"from": schedule.name, "to": data.name}
        schedule.name = data.name
    if data.team_id is not None and data.team_id != schedule.team_id:
        team = check_team_usable(uow, data.team_id)
        changes["team_id"] = {"from": schedule.team_id, "to": team.id}
        schedule.team_id = team.id
        schedule.team = team
    if data.time_zone is not None and data.time_zone != schedule.time_zone:
        changes["time_zone"] = {"from": schedule.time_zone, "to": data.time_zone}
        split_era_at(uow, schedule, uow.now)
        for era in schedule.eras:
            if era.until > uow.now:
                era.time_zone = data.time_zone
        schedule.time_zone = data.time_zone
    if data.description is not None and data.description != schedule.description:
        changes["description"] = {"from": schedule.description, "to": data.description}
        schedule.description = data.description
    if changes:
        schedule.updated_at = uow.now
        schedule_event(uow, actor, schedule, "schedule.updated", **changes)
    return schedule


def do_archive_schedule(uow: UnitOfWork, actor: Actor, schedule_id: str) -> Schedule:
    """Archive: nobody is on call through it any more; its history stays readable."""
    require(actor, Role.MANAGER)
    schedule = get_schedule(uow, schedule_id)
    if schedule.archived_at is None:
        schedule.archived_at = uow.now
        schedule.updated_at = uow.now
        schedule_event(uow, actor, schedule, "schedule.archived")
    return schedule


def list_schedules(
    uow: UnitOfWork,
    *,
    cursor: str | None = None,
    limit: int = 100,
    archived: bool = False,
    team_id: str | None = None,
) -> Page[Schedule]:
    query = (
        select(Schedule)
        .where(Schedule.archived_at.is_not(None) if archived else Schedule.archived_at.is_(None))
        .options(joinedload(Schedule.team))
    )
    if team_id:
        query = query.where(Schedule.team_id == team_id)
    return paginate(
        uow.session, query, sort=Schedule.name, tiebreak=Schedule.id, cursor=cursor, limit=limit
    )


def find_schedule(uow: UnitOfWork, name_or_id: str) -> Schedule:
    """The schedule with this id, else this name (case-insensitively); NotFound if none."""
    found = uow.session.get(Schedule, name_or_id)
    if found is None:
        found = uow.session.scalar(
            select(Schedule).where(func.lower(Schedule.name) == name_or_id.strip().lower())
        )
    if found is None:
        raise NotFound(f"no schedule is named or has the id {name_or_id!r}")
    return get_schedule(uow, found.id)


# ---------------------------------------------------------------- layers


def active_layers(schedule: Schedule) -> list[ScheduleLayer]:
    """The layers not removed, the one that wins first."""
    return sorted(
        (layer for layer in schedule.layers if layer.removed_at is None),
        key=lambda layer: layer.rank,
        reverse=True,
    )


def check_layer(schedule: Schedule, layer_id: str) -> ScheduleLayer:
    for layer in schedule.layers:
        if layer.id == layer_id and layer.removed_at is None:
            return layer
    raise NotFound("no such layer in this schedule")


def do_add_layer(
    uow: UnitOfWork, actor: Actor, schedule_id: str, data: LayerCreate
) -> ScheduleLayer:
    """Add a layer on top (it wins over the others where it has someone). It has no
    rotation yet: set one with :func:`do_set_rotation`."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    _check_layer_name_free(schedule, data.name)
    rank = max((layer.rank for layer in schedule.layers), default=0) + 1
    layer = ScheduleLayer(schedule_id=schedule.id, name=data.name, rank=rank, created_at=uow.now)
    layer.versions = []
    schedule.layers.append(layer)
    uow.flush()
    touch(uow, schedule)
    schedule_event(
        uow, actor, schedule, "schedule.layer_added", layer_id=layer.id, name=layer.name, rank=rank
    )
    return layer


def _check_layer_name_free(schedule: Schedule, name: str, except_id: str | None = None) -> None:
    for layer in active_layers(schedule):
        if layer.name.lower() == name.lower() and layer.id != except_id:
            raise Conflict(
                "this schedule has a layer with this name",
                errors=[FieldError("name", "already taken")],
            )


def do_rename_layer(
    uow: UnitOfWork, actor: Actor, schedule_id: str, layer_id: str, data: LayerRename
) -> ScheduleLayer:
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    layer = check_layer(schedule, layer_id)
    if data.name != layer.name:
        _check_layer_name_free(schedule, data.name, except_id=layer.id)
        schedule_event(uow, actor, schedule, "schedule.layer_renamed", layer_id=layer.id,
               name={"from": layer.name, "to": data.name})  # fmt: skip
        layer.name = data.name
        touch(uow, schedule)
    return layer


def do_remove_layer(
    uow: UnitOfWork, actor: Actor, schedule_id: str, layer_id: str
) -> ScheduleLayer:
    """Remove a layer from now on: its rotation ends now; what it covered stays."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    layer = check_layer(schedule, layer_id)
    ended, dropped = _end_versions(uow, layer, uow.now)
    layer.removed_at = uow.now
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.layer_removed", layer_id=layer.id, name=layer.name,
           ended_versions=ended, dropped_versions=dropped)  # fmt: skip
    return layer


def do_reorder_layers(
    uow: UnitOfWork, actor: Actor, schedule_id: str, data: LayerOrder
) -> Schedule:
    """Give the active layers a new order (``layer_ids``, the one that wins first) from
    ``data.effective_from`` (default now, never earlier): the order in force then is kept
    as an era ending there, and orders that would begin later are dropped. The layers
    trade their ranks, so removed layers keep theirs."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    layers = active_layers(schedule)
    if sorted(data.layer_ids) != sorted(layer.id for layer in layers):
        raise InvalidInput(
            "the new order must name every layer once",
            errors=[FieldError("layer_ids", "must list each active layer of the schedule once")],
        )
    effective = from_now(uow, data.effective_from, "effective_from")
    ranks = [layer.rank for layer in layers]  # highest first
    by_id = {layer.id: layer for layer in layers}
    before = [layer.id for layer in layers]
    if before == data.layer_ids and not any(era.until > effective for era in schedule.eras):
        return schedule
    split_era_at(uow, schedule, effective)
    dropped = drop_eras_after(uow, schedule, effective)
    for layer_id, rank in zip(data.layer_ids, ranks, strict=True):
        by_id[layer_id].rank = rank
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.layers_reordered",
           order={"from": before, "to": list(data.layer_ids)},
           effective_from=isoformat(effective), dropped_eras=dropped)  # fmt: skip
    return schedule


# ---------------------------------------------------------------- rotations


def do_set_rotation(
    uow: UnitOfWork, actor: Actor, schedule_id: str, layer_id: str, data: RotationIn
) -> RotationVersion:
    """Set a layer's rotation from ``data.effective_from`` (default now, never earlier):
    versions in force then end there, versions that would start later are dropped, and
    a new version begins. Who was on call before stays as it was."""
    require(actor, Role.MANAGER)
    schedule = check_schedule_editable(uow, schedule_id)
    layer = check_layer(schedule, layer_id)
    check_users_active(uow, [(f"participants.{i}", u) for i, u in enumerate(data.participants)])
    effective = from_now(uow, data.effective_from, "effective_from")
    restrictions = [
        {"days": list(r.days), "start": r.start, "end": r.end} for r in data.restrictions
    ]
    ended, dropped = _end_versions(uow, layer, effective)
    version = RotationVersion(
        layer_id=layer.id,
        participants=list(data.participants),
        start=data.start,
        turn_length=data.turn_length,
        turn_unit=data.turn_unit,
        restrictions=restrictions,
        effective_from=effective,
        effective_until=None,
        created_at=uow.now,
    )
    layer.versions.append(version)
    try:  # the pure model's own rules, as a last guard
        s.Layer(layer.id, layer.rank, tuple(rotation_spec(v) for v in layer.versions))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    uow.flush()
    touch(uow, schedule)
    schedule_event(uow, actor, schedule, "schedule.rotation_set", layer_id=layer.id, layer_name=layer.name,
           version_id=version.id, participants=list(data.participants),
           start=isoformat(data.start), turn_length=data.turn_length, turn_unit=data.turn_unit,
           restrictions=restrictions, effective_from=isoformat(effective),
           ended_versions=ended, dropped_versions=dropped)  # fmt: skip
    return version


def _end_versions(
    uow: UnitOfWork, layer: ScheduleLayer, at: datetime
) -> tuple[list[str], list[str]]:
    """End the layer's versions at ``at``: those in force then end there; those that
    would only begin at or after ``at`` are deleted (they never took effect)."""
    ended: list[str] = []
    dropped: list[str] = []
    for version in list(layer.versions):
        if version.effective_until is not None and version.effective_until <= at:
            continue
        if version.effective_from is not None and version.effective_from >= at:
            dropped.append(version.id)
            layer.versions.remove(version)
            uow.session.delete(version)
        else:
            version.effective_until = at
            ended.append(version.id)
    return ended, dropped


def current_version(layer: ScheduleLayer, at: datetime) -> RotationVersion | None:
    """The version in force at ``at``, else the next one to be, else None."""
    later: list[RotationVersion] = []
    for version in layer.versions:
        if version.effective_until is not None and version.effective_until <= at:
            continue
        if version.effective_from is None or version.effective_from <= at:
            return version
        later.append(version)
    return min(later, key=lambda v: v.effective_from or at, default=None)


# ---------------------------------------------------------------- shared


def touch(uow: UnitOfWork, schedule: Schedule) -> None:
    schedule.updated_at = uow.now


def schedule_event(
    uow: UnitOfWork, actor: Actor, schedule: Schedule, type_: str, **data: Any
) -> None:
    append_event(uow, actor, type_, subject_type="schedule", subject_id=schedule.id, data=data)
