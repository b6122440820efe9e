"""Turning a level's targets into the people to notify at an instant.

A user is themself; a schedule is whoever :func:`muster.domain.oncall.load.on_call_many`
says at that instant (the one resolver every door uses); a team is its active members.
Whoever cannot be notified is reported with the reason, for the group's timeline.

What a target stands for at an instant is looked up once per transaction, many targets at
a time: :func:`know_targets` takes every target a batch of escalations may reach (a
storm pages the same few people hundreds of times), and :func:`resolve_targets` looks up
only what is not known yet. Nothing cached outlives the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, TeamMember, User
from muster.domain.escalation.models import EscalationLevel
from muster.domain.oncall.load import get_schedules, on_call_many

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


@dataclass(frozen=True)
class _Person:
    id: str
    name: str
    archived: bool


@dataclass
class _Known:
    """What targets stand for at one instant (None: no such row)."""

    users: dict[str, _Person | None] = field(default_factory=dict)
    # schedule id -> (name, archived, user id on call or None)
    schedules: dict[str, tuple[str, bool, str | None] | None] = field(default_factory=dict)
    # team id -> (name, archived, active member ids by name)
    teams: dict[str, tuple[str, bool, list[str]] | None] = field(default_factory=dict)


def _known(uow: UnitOfWork, at: datetime) -> _Known:
    key = ("escalation.targets", at)
    known: _Known | None = uow.memo.get(key)
    if known is None:
        known = uow.memo[key] = _Known()
    return known


def know_targets(uow: UnitOfWork, targets: Iterable[Mapping[str, Any]], at: datetime) -> None:
    """Look up, in a few queries, what ``targets`` stand for at ``at`` (those not known
    yet). If a look-up fails, nothing of it is kept."""
    known = _known(uow, at)
    wanted: dict[str, set[str]] = {kind: set() for kind in TARGET_TYPES}
    for target in targets:
        kind, target_id = str(target.get("type")), str(target.get("id", ""))
        if kind in wanted and target_id not in getattr(known, f"{kind}s"):
            wanted[kind].add(target_id)
    found = _Known()
    if wanted["schedule"]:
        _load_schedules(uow, found, wanted["schedule"], at)
    if wanted["team"]:
        _load_teams(uow, found, wanted["team"])
    users = wanted["user"] | {e[2] for e in found.schedules.values() if e and e[2]}
    _load_users(uow, found, users - known.users.keys())
    known.users.update(found.users)
    known.schedules.update(found.schedules)
    known.teams.update(found.teams)


def _load_users(uow: UnitOfWork, found: _Known, ids: set[str]) -> None:
    if not ids:
        return
    found.users.update(dict.fromkeys(ids))
    rows = uow.session.execute(select(User.id, User.name, User.archived_at).where(User.id.in_(ids)))
    for user_id, name, archived_at in rows:
        found.users[user_id] = _Person(user_id, name, archived_at is not None)


def _load_schedules(uow: UnitOfWork, found: _Known, ids: set[str], at: datetime) -> None:
    found.schedules.update(dict.fromkeys(ids))
    schedules = get_schedules(uow, sorted(ids))
    answers = on_call_many(uow, schedules, at)
    for schedule in schedules:
        answer = answers.get(schedule.id)
        on_call = answer.user_id if answer is not None else None
        found.schedules[schedule.id] = (schedule.name, schedule.archived_at is not None, on_call)


def _load_teams(uow: UnitOfWork, found: _Known, ids: set[str]) -> None:
    found.teams.update(dict.fromkeys(ids))
    members: dict[str, list[str]] = {team_id: [] for team_id in ids}
    rows = uow.session.execute(
        select(TeamMember.team_id, User.id)
        .select_from(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id.in_(ids), User.archived_at.is_(None))
        .order_by(User.name, User.id)
    )
    for team_id, user_id in rows:
        members[team_id].append(user_id)
    teams = uow.session.execute(
        select(Team.id, Team.name, Team.archived_at).where(Team.id.in_(ids))
    )
    for team_id, name, archived_at in teams:
        found.teams[team_id] = (name, archived_at is not None, members[team_id])


def resolve_targets(
    uow: UnitOfWork, targets: Iterable[Mapping[str, Any]], at: datetime
) -> Resolved:
    targets = list(targets)
    know_targets(uow, targets, at)
    known = _known(uow, at)
    result = Resolved()
    for target in targets:
        kind, target_id = target.get("type"), str(target.get("id", ""))
        if kind == "user":
            user = known.users.get(target_id)
            if user is None:
                result.skip(target, "no such user")
            elif user.archived:
                result.skip(target, f"{user.name} is archived")
            else:
                result.add(user.id)
        elif kind == "schedule":
            _schedule(known, target, target_id, result)
        elif kind == "team":
            team = known.teams.get(target_id)
            if team is None or team[1]:
                result.skip(
                    target, "no such team" if team is None else f"team {team[0]} is archived"
                )
                continue
            if not team[2]:
                result.skip(target, f"team {team[0]} has no active members")
            for user_id in team[2]:
                result.add(user_id)
        else:
            result.skip(target, f"unknown target type {kind!r}")
    return result


def first_level_reached(uow: UnitOfWork, policy_id: str, at: datetime) -> Resolved:
    """The people the first level of the policy that reaches anyone reaches at ``at``
    (a level reaching nobody is passed over, as escalation does), with every target
    skipped on the way; ``user_ids`` is empty when no level reaches anyone."""
    levels = uow.session.scalars(
        select(EscalationLevel)
        .where(EscalationLevel.policy_id == policy_id)
        .order_by(EscalationLevel.position)
    )
    passed = Resolved()
    for level in levels:
        resolved = resolve_targets(uow, level.targets, at)
        passed.skipped += resolved.skipped
        if resolved.user_ids:
            passed.user_ids = resolved.user_ids
            break
    return passed


def _schedule(known: _Known, target: Mapping[str, Any], schedule_id: str, result: Resolved) -> None:
    schedule = known.schedules.get(schedule_id)
    if schedule is None:
        result.skip(target, "no such schedule")
        return
    name, archived, on_call = schedule
    if archived:
        result.skip(target, f"schedule {name} is archived")
        return
    if on_call is None:
        result.skip(target, f"nobody is on call on {name}")
        return
    user = known.users.get(on_call)
    if user is None or user.archived:
        result.skip(target, f"the person on call on {name} is archived")
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
