"""Rows and resolver results as the output shapes of :mod:`.schemas`, with people's names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.oncall.models import (
    RotationVersion,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    TemporarySchedule,
)
from muster.domain.oncall.schemas import (
    LayerOut,
    OverrideOut,
    RestrictionOut,
    RotationOut,
    ScheduleOut,
    ShiftOut,
    SourceKind,
    TemporaryOut,
    TemporaryShiftOut,
    TurnUnit,
)
from muster.domain.oncall.service import active_layers, current_version
from muster.domain.oncall.spec import Shift

UNKNOWN = "(unknown person)"


def user_names(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    """Display names by user id; archived people are marked."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(User.id, User.name, User.archived_at).where(User.id.in_(wanted))
    ).all()
    return {r.id: r.name + (" (archived)" if r.archived_at else "") for r in rows}


def split_source(source: str) -> tuple[SourceKind, str]:
    """``"layer:<id>"`` → ("layer", id); the resolver's source strings."""
    kind, _, source_id = source.partition(":")
    return cast(SourceKind, kind), source_id


def shift_out(shift: Shift, names: dict[str, str]) -> ShiftOut:
    kind, source_id = split_source(shift.source)
    return ShiftOut(
        user_id=shift.user_id,
        user_name=names.get(shift.user_id, UNKNOWN),
        start=shift.start,
        end=shift.end,
        kind=kind,
        source_id=source_id,
    )


def rotation_out(version: RotationVersion, tz: ZoneInfo, names: dict[str, str]) -> RotationOut:
    participants = [str(p) for p in version.participants]
    return RotationOut(
        id=version.id,
        participants=participants,
        participant_names=[names.get(p, UNKNOWN) for p in participants],
        start=version.start,
        handoff=version.start.astimezone(tz).strftime("%H:%M"),
        turn_length=version.turn_length,
        turn_unit=cast(TurnUnit, version.turn_unit),
        restrictions=[RestrictionOut(**r) for r in version.restrictions],
        effective_from=version.effective_from,
        effective_until=version.effective_until,
        created_at=version.created_at,
    )


def layer_out(layer: ScheduleLayer, tz: ZoneInfo, names: dict[str, str], now: datetime) -> LayerOut:
    current = current_version(layer, now)
    return LayerOut(
        id=layer.id,
        name=layer.name,
        rank=layer.rank,
        created_at=layer.created_at,
        removed_at=layer.removed_at,
        rotation=rotation_out(current, tz, names) if current else None,
        versions=[rotation_out(v, tz, names) for v in layer.versions],
    )


def schedule_out(uow: UnitOfWork, schedule: Schedule, now: datetime) -> ScheduleOut:
    layers = active_layers(schedule)
    names = user_names(
        uow, (str(p) for layer in layers for v in layer.versions for p in v.participants)
    )
    tz = ZoneInfo(schedule.time_zone)
    return ScheduleOut(
        id=schedule.id,
        name=schedule.name,
        description=schedule.description,
        team_id=schedule.team_id,
        team_name=schedule.team.name,
        time_zone=schedule.time_zone,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
        archived_at=schedule.archived_at,
        layers=[layer_out(layer, tz, names, now) for layer in layers],
    )


def override_out(
    o: ScheduleOverride, names: dict[str, str], overlaps: list[str] | None = None
) -> OverrideOut:
    return OverrideOut(
        id=o.id,
        schedule_id=o.schedule_id,
        user_id=o.user_id,
        user_name=names.get(o.user_id, UNKNOWN),
        start=o.starts_at,
        end=o.ends_at,
        created_at=o.created_at,
        created_by=o.created_by,
        cancelled_at=o.cancelled_at,
        swap_id=o.swap_id,
        overlaps=overlaps or [],
    )


def temporary_out(t: TemporarySchedule, names: dict[str, str]) -> TemporaryOut:
    return TemporaryOut(
        id=t.id,
        schedule_id=t.schedule_id,
        start=t.starts_at,
        end=t.ends_at,
        shifts=[
            TemporaryShiftOut(
                user_id=sh["user_id"],
                user_name=names.get(sh["user_id"], UNKNOWN),
                start=datetime.fromisoformat(sh["start"]),
                end=datetime.fromisoformat(sh["end"]),
            )
            for sh in t.shifts
        ],
        created_at=t.created_at,
        created_by=t.created_by,
        cancelled_at=t.cancelled_at,
    )
