"""Reading action items across incidents: filtered lists, open items by team and age,
and the completion rate the metrics use.

**Age** is whole days since the item was created; the buckets are ``0-7``, ``8-30``,
``31-90`` and ``90+`` days. **Overdue**: open or in progress with a due day before today
(UTC). Every query keeps only items of incidents the reader may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select

from muster.db.pagination import Page, paginate
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, User
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.visibility import visible_clause
from muster.domain.reviews.action_models import ActionItem
from muster.domain.reviews.action_schemas import ActionItemOut
from muster.domain.reviews.actions import OPEN, age_days, is_overdue, key_of
from muster.errors import FieldError, InvalidInput

# (key, label, youngest age in days, oldest age in days or None)
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0-7", "0 to 7 days", 0, 7), ("8-30", "8 to 30 days", 8, 30),
    ("31-90", "31 to 90 days", 31, 90), ("90+", "over 90 days", 91, None),
)  # fmt: skip
NO_TEAM = ""


@dataclass
class ActionItemFilter:
    """Empty fields do not filter. ``status`` empty means every status; ``open_only``
    keeps open and in-progress items. ``due_from``/``due_before``: due day in
    ``[due_from, due_before)``. ``incident_ids``: a SELECT of incident ids (metrics pass
    their incident filter). ``team_id`` ``""`` means items without a team."""

    team_id: str | None = None
    owner_id: str | None = None
    incident_id: str | None = None
    status: list[str] = field(default_factory=list)
    open_only: bool = False
    overdue: bool = False
    age: str | None = None
    kind: str | None = None
    priority: str | None = None
    due_from: date | None = None
    due_before: date | None = None
    incident_ids: Select[Any] | None = None


def _age_clause(now: datetime, bucket: str) -> Any:
    for key, _label, young, old in AGE_BUCKETS:
        if key == bucket:
            newest = ActionItem.created_at <= now - timedelta(days=young)
            if old is None:
                return newest
            return newest & (ActionItem.created_at > now - timedelta(days=old + 1))
    raise InvalidInput(
        "unknown age bucket",
        errors=[FieldError("age", "one of " + ", ".join(b[0] for b in AGE_BUCKETS))],
    )


def filtered(uow: UnitOfWork, f: ActionItemFilter) -> Select[Any]:
    """Items matching ``f`` (no visibility check: callers add one)."""
    query = select(ActionItem)
    today = uow.now.date()
    if f.team_id is not None:
        query = query.where(
            ActionItem.team_id.is_(None)
            if f.team_id == NO_TEAM
            else ActionItem.team_id == f.team_id
        )
    for name in ("owner_id", "incident_id", "kind", "priority"):
        if getattr(f, name):
            query = query.where(getattr(ActionItem, name) == getattr(f, name))
    if f.status:
        query = query.where(ActionItem.status.in_(f.status))
    if f.open_only or f.overdue:
        query = query.where(ActionItem.status.in_(OPEN))
    if f.overdue:
        query = query.where(ActionItem.due_on < today)
    if f.age:
        query = query.where(_age_clause(uow.now, f.age))
    if f.due_from is not None:
        query = query.where(ActionItem.due_on >= f.due_from)
    if f.due_before is not None:
        query = query.where(ActionItem.due_on < f.due_before)
    if f.incident_ids is not None:
        query = query.where(ActionItem.incident_id.in_(f.incident_ids))
    return query


def visible(uow: UnitOfWork, actor: Actor, query: Select[Any]) -> Select[Any]:
    return query.where(
        ActionItem.incident_id.in_(select(Incident.id).where(visible_clause(uow, actor)))
    )


def list_action_items(
    uow: UnitOfWork, actor: Actor, f: ActionItemFilter, *, cursor: str | None = None,
    limit: int = 50,
) -> Page[ActionItem]:  # fmt: skip
    """One page of the items ``actor`` may see, oldest (lowest number) first."""
    query = visible(uow, actor, filtered(uow, f))
    return paginate(
        uow.session, query, sort=ActionItem.number, tiebreak=ActionItem.id, cursor=cursor,
        limit=limit,
    )  # fmt: skip


def items_out(uow: UnitOfWork, items: Sequence[ActionItem]) -> list[ActionItemOut]:
    """The items as read back, with owner, team and incident names looked up at once."""
    user_ids = {i.owner_id for i in items if i.owner_id}
    team_ids = {i.team_id for i in items if i.team_id}
    incident_ids = {i.incident_id for i in items}
    users = dict(uow.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())  # fmt: skip
    teams = dict(uow.session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids))).all())  # fmt: skip
    numbers = dict(uow.session.execute(select(Incident.id, Incident.number).where(Incident.id.in_(incident_ids))).all())  # fmt: skip
    now, today = uow.now, uow.now.date()
    return [
        ActionItemOut(
            id=i.id, key=key_of(i), number=i.number, incident_id=i.incident_id,
            incident_ref=f"INC-{numbers.get(i.incident_id, '?')}", review_id=i.review_id,
            title=i.title, description=i.description, kind=i.kind, priority=i.priority,
            owner_id=i.owner_id, owner_name=users.get(i.owner_id or ""), team_id=i.team_id,
            team_name=teams.get(i.team_id or ""), due_on=i.due_on, status=i.status,
            done_at=i.done_at, done_by=i.done_by, wont_do_reason=i.wont_do_reason,
            tracker_url=i.tracker_url, tracker_key=i.tracker_key, created_at=i.created_at,
            created_by=i.created_by, updated_at=i.updated_at, age_days=age_days(i, now),
            overdue=is_overdue(i, today),
        )
        for i in items
    ]  # fmt: skip


@dataclass(frozen=True)
class TeamAges:
    """A team's open items: how many in each age bucket, how many overdue."""

    team_id: str  # NO_TEAM for items without a team
    team_name: str
    buckets: dict[str, int]
    overdue: int

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def open_by_team_and_age(uow: UnitOfWork, actor: Actor, f: ActionItemFilter) -> list[TeamAges]:
    """Open and in-progress items ``actor`` may see (narrowed by ``f``), counted per team
    and age bucket; teams by name, items without a team last."""
    now, today = uow.now, uow.now.date()
    bucket = case(
        *[(_age_clause(now, key), key) for key, _label, _y, _o in AGE_BUCKETS],
        else_="0-7",  # created "in the future" (clock skew): the youngest
    )
    overdue = case((ActionItem.due_on < today, 1), else_=0)
    ids = visible(uow, actor, filtered(uow, f).where(ActionItem.status.in_(OPEN)))
    rows = uow.session.execute(
        select(ActionItem.team_id, bucket, func.count(), func.sum(overdue))
        .where(ActionItem.id.in_(ids.with_only_columns(ActionItem.id)))
        .group_by(ActionItem.team_id, bucket)
    ).all()
    names = dict(uow.session.execute(select(Team.id, Team.name)).all())
    out: dict[str, TeamAges] = {}
    for team_id, key, count, late in rows:
        tid = team_id or NO_TEAM
        entry = out.setdefault(tid, TeamAges(
            tid, names.get(tid, "No team"), {b[0]: 0 for b in AGE_BUCKETS}, 0,
        ))  # fmt: skip
        entry.buckets[key] += int(count)
        out[tid] = TeamAges(tid, entry.team_name, entry.buckets, entry.overdue + int(late or 0))
    return sorted(out.values(), key=lambda t: (t.team_id == NO_TEAM, t.team_name.lower()))


@dataclass(frozen=True)
class CompletionRate:
    due: int  # items due in the window, not "won't do"
    done: int  # of those, done (at any time)
    done_on_time: int  # of those, done by the end of their due day (UTC)
    rate: float | None  # done / due; None when nothing was due
    on_time_rate: float | None  # done_on_time / due


def completion_rate(uow: UnitOfWork, f: ActionItemFilter) -> CompletionRate:
    """Action-item completion over a window: of the items whose due day falls in
    ``[f.due_from, f.due_before)`` (and match the rest of ``f``), leaving out those
    marked "won't do", the share now done (``rate``) and the share done by the end of
    their due day, UTC (``on_time_rate``). Items without a due day never count. No
    visibility check: aggregate figures (pass ``f.incident_ids`` to narrow)."""
    query = filtered(uow, f).where(ActionItem.due_on.is_not(None), ActionItem.status != "wont_do")
    rows = uow.session.execute(
        query.with_only_columns(ActionItem.status, ActionItem.due_on, ActionItem.done_at)
    ).all()
    done = [(due_on, at) for status, due_on, at in rows if status == "done" and at is not None]
    on_time = [1 for due_on, at in done if due_on is not None and at.date() <= due_on]
    due = len(rows)
    return CompletionRate(
        due=due, done=len(done), done_on_time=len(on_time),
        rate=len(done) / due if due else None, on_time_rate=len(on_time) / due if due else None,
    )  # fmt: skip
