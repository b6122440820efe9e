"""Turning a level's targets into the people to notify at an instant.

A user is themself; a schedule is whoever :func:`muster.domain.oncall.load.on_call`
says at that instant (the one resolver every door uses); a team is its active members.
Whoever cannot be notified is reported with the reason, for the group's timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, TeamMember, User
from muster.domain.oncall.load import on_call
from muster.domain.oncall.models import Schedule

TARGET_TYPES = ("user", "schedule", "team")


@dataclass
class Resolved:
    """The people a level reaches, in target order without repeats, and who was skipped."""

    user_ids: list[str] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def add(self, user_id: str) -> None:
        if user_id not in self.user_ids:
            self.user_ids.append(user_id)

    def skip(self, target: Mapping[str, Any], why: str) -> None:
        self.skipped.append({"target": dict(target), "why": why})


def resolve_targets(
    uow: UnitOfWork, targets: Iterable[Mapping[str, Any]], at: datetime
) -> Resolved:
    result = Resolved()
    for target in targets:
        kind, target_id = target.get("type"), str(target.get("id", ""))
        if kind == "user":
            user = uow.session.get(User, target_id)
            if user is None:
                result.skip(target, "no such user")
            elif user.archived_at is not None:
                result.skip(target, f"{user.name} is archived")
            else:
                result.add(user.id)
        elif kind == "schedule":
            _schedule(uow, target, target_id, at, result)
        elif kind == "team":
            team = uow.session.get(Team, target_id)
            if team is None or team.archived_at is not None:
                result.skip(
                    target, "no such team" if team is None else f"team {team.name} is archived"
                )
                continue
            members = active_members(uow, team.id)
            if not members:
                result.skip(target, f"team {team.name} has no active members")
            for user_id in members:
                result.add(user_id)
        else:
            result.skip(target, f"unknown target type {kind!r}")
    return result


def _schedule(
    uow: UnitOfWork, target: Mapping[str, Any], schedule_id: str, at: datetime, result: Resolved
) -> None:
    schedule = uow.session.get(Schedule, schedule_id)
    if schedule is None:
        result.skip(target, "no such schedule")
        return
    if schedule.archived_at is not None:
        result.skip(target, f"schedule {schedule.name} is archived")
        return
    answer = on_call(uow, schedule_id, at)
    if answer is None:
        result.skip(target, f"nobody is on call on {schedule.name}")
        return
    user = uow.session.get(User, answer.user_id)
    if user is None or user.archived_at is not None:
        result.skip(target, f"the person on call on {schedule.name} is archived")
        return
    result.add(user.id)


def active_members(uow: UnitOfWork, team_id: str, *, role: str | None = None) -> list[str]:
    """Ids of the team's active members (only those with ``role`` when given), by name."""
    query = (
        select(User.id)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team_id, User.archived_at.is_(None))
        .order_by(User.name, User.id)
    )
    if role is not None:
        query = query.where(TeamMember.role == role)
    return list(uow.session.scalars(query))
