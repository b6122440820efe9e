"""Keeping the past of a schedule's layer order and zone (see :class:`.models.ScheduleEra`).

A change that takes effect from a time ``at`` first calls :func:`split_era_at`, which
records how the schedule read just before ``at`` as an era ending there; then the change
is applied to everything from ``at`` on. Who was on call before ``at`` never changes.
"""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.oncall.models import Schedule, ScheduleEra


def current_ranks(schedule: Schedule) -> dict[str, int]:
    """Every layer's rank after the last era, removed layers included."""
    return {layer.id: layer.rank for layer in schedule.layers}


def split_era_at(uow: UnitOfWork, schedule: Schedule, at: datetime) -> None:
    """Make ``at`` an era boundary: the era holding ``at`` is cut in two there.

    Every era row is also completed with the ranks of layers it does not name (layers
    added after it was written), so a later change to a layer's own rank leaves it be.
    """
    ranks = current_ranks(schedule)
    for era in schedule.eras:
        missing = {k: v for k, v in ranks.items() if k not in era.ranks}
        if missing:
            era.ranks = {**era.ranks, **missing}
    if any(era.until == at for era in schedule.eras):
        return
    holding = next((era for era in schedule.eras if era.until > at), None)
    zone, in_force = (
        (schedule.time_zone, ranks) if holding is None else (holding.time_zone, holding.ranks)
    )
    schedule.eras.append(
        ScheduleEra(until=at, time_zone=zone, ranks=dict(in_force), created_at=uow.now)
    )
    schedule.eras.sort(key=lambda era: era.until)


def drop_eras_after(uow: UnitOfWork, schedule: Schedule, at: datetime) -> list[str]:
    """Remove the eras that end after ``at`` (a change from ``at`` replaces them);
    returns the ids removed. Call :func:`split_era_at` first."""
    dropped = [era for era in schedule.eras if era.until > at]
    for era in dropped:
        schedule.eras.remove(era)
        uow.session.delete(era)
    return [era.id for era in dropped]
